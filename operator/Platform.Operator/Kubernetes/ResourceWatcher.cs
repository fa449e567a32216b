using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Operator.Kubernetes;

public enum ResourceChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One change applied to a watcher's cache: a wake-up, not state to replay (consumers re-read the cache).</summary>
public sealed record ResourceChange<T>(ResourceChangeType Type, string Key, T Object)
    where T : class;

/// <summary>
/// Keeps a cache of one resource's objects (keyed "namespace/name") in step with the API server: list, then watch
/// from the list's resourceVersion; bookmarks advance that version, a closed stream is re-watched from it, 410 Gone
/// relists (reporting only what differs from the cache), other failures retry with backoff (200 ms doubling to
/// 10 s). The cached objects are shared: treat them as read-only.
/// </summary>
/// <remarks>
/// The Kubernetes client has no informer (its watch is one stream, its list one call), so this is the part of
/// client-go's reflector the operator needs, over the seam's list and watch of one resource.
/// </remarks>
public sealed class ResourceWatcher<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly string _resource;
    private readonly Func<CancellationToken, Task<KubernetesList<T>>> _list;
    private readonly Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> _watch;
    private readonly Action<ResourceChange<T>>? _onChange;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, T> _cache = new(StringComparer.Ordinal);

    /// <param name="resource">The resource's plural, for logs.</param>
    /// <param name="list">Lists the objects; the list's resourceVersion is the one to watch from.</param>
    /// <param name="watch">Watches from a resourceVersion, as <see cref="IKubernetesApi.WatchAutoscalersAsync"/> does.</param>
    /// <param name="onChange">Called on the watch loop for every change; keep it short (e.g. enqueue a key).</param>
    public ResourceWatcher(
        string resource,
        Func<CancellationToken, Task<KubernetesList<T>>> list,
        Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
        Action<ResourceChange<T>>? onChange = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(watch);
        _resource = resource;
        _list = list;
        _watch = watch;
        _onChange = onChange;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The cache key of an object: "namespace/name", or "name" for cluster-scoped objects.</summary>
    public static string KeyOf(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    /// <summary>A copy of the cache as it is now.</summary>
    public IReadOnlyDictionary<string, T> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, T>(_cache, StringComparer.Ordinal);
        }
    }

    public T? Get(string? ns, string name)
    {
        lock (_gate)
        {
            return _cache.GetValueOrDefault(KeyOf(ns, name));
        }
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled, then returns.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var backoff = InitialBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var progressed = false;
            try
            {
                if (resourceVersion is null)
                {
                    var list = await _list(cancellationToken);
                    ReplaceAll(list.Items ?? []);
                    resourceVersion = list.Metadata?.ResourceVersion is { Length: > 0 } listed
                        ? listed
                        : throw new InvalidOperationException($"The list of {_resource} carries no resourceVersion.");
                    _synced.TrySetResult();
                }

                await foreach (var (type, obj) in _watch(resourceVersion, cancellationToken))
                {
                    resourceVersion = Apply(type, obj) ?? resourceVersion;
                    progressed = true;
                }
            }
            catch (ResourceVersionTooOldException)
            {
                KubernetesLog.WatchExpired(_logger, _resource);
                resourceVersion = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                KubernetesLog.WatchFailed(_logger, e, _resource, progressed ? 0 : backoff.TotalMilliseconds);
            }

            // After a watch that delivered events, carry on at once; otherwise something is wrong: back off.
            if (progressed)
            {
                backoff = InitialBackoff;
                continue;
            }

            try
            {
                await Task.Delay(backoff, _timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>Applies one watch event to the cache; returns the resourceVersion it carries.</summary>
    private string? Apply(WatchEventType type, T? obj)
    {
        if (obj?.Metadata is not { } metadata)
        {
            return null;
        }

        // A bookmark's object carries only the resourceVersion.
        if (type == WatchEventType.Bookmark || metadata.Name is not { } name)
        {
            return metadata.ResourceVersion;
        }

        var key = KeyOf(metadata.NamespaceProperty, name);
        ResourceChangeType change;
        lock (_gate)
        {
            if (type == WatchEventType.Deleted)
            {
                _cache.Remove(key);
                change = ResourceChangeType.Deleted;
            }
            else
            {
                change = _cache.ContainsKey(key) ? ResourceChangeType.Modified : ResourceChangeType.Added;
                _cache[key] = obj;
            }
        }

        Notify(new ResourceChange<T>(change, key, obj));
        return metadata.ResourceVersion;
    }

    /// <summary>Replaces the cache with a fresh list, reporting only what differs from what was cached.</summary>
    private void ReplaceAll(IEnumerable<T> items)
    {
        var fresh = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.Metadata?.Name is { } name)
            {
                fresh[KeyOf(item.Metadata.NamespaceProperty, name)] = item;
            }
        }

        var changes = new List<ResourceChange<T>>();
        lock (_gate)
        {
            foreach (var (key, item) in fresh)
            {
                if (!_cache.TryGetValue(key, out var cached))
                {
                    changes.Add(new ResourceChange<T>(ResourceChangeType.Added, key, item));
                }
                else if (cached.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
                {
                    changes.Add(new ResourceChange<T>(ResourceChangeType.Modified, key, item));
                }
            }

            changes.AddRange(_cache.Where(entry => !fresh.ContainsKey(entry.Key))
                .Select(entry => new ResourceChange<T>(ResourceChangeType.Deleted, entry.Key, entry.Value)));
            _cache = fresh;
        }

        changes.ForEach(Notify);
    }

    private void Notify(ResourceChange<T> change)
    {
        try
        {
            _onChange?.Invoke(change);
        }
        catch (Exception e)
        {
            KubernetesLog.ChangeHandlerFailed(_logger, e, _resource);
        }
    }
}
