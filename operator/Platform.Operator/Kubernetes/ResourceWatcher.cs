using System.Net;
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
public sealed class ResourceWatcher<T>
    where T : class
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly IKubernetesApi _api;
    private readonly KubeResource _resource;
    private readonly string? _namespace;
    private readonly string? _labelSelector;
    private readonly Action<ResourceChange<T>>? _onChange;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, T> _cache = new(StringComparer.Ordinal);

    /// <param name="onChange">Called on the watch loop for every change; keep it short (e.g. enqueue a key).</param>
    public ResourceWatcher(
        IKubernetesApi api,
        KubeResource resource,
        string? ns,
        Action<ResourceChange<T>>? onChange = null,
        string? labelSelector = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(resource);
        ObjectMetadata.EnsureReadable<T>();
        _api = api;
        _resource = resource;
        _namespace = ns;
        _labelSelector = labelSelector;
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
                    var list = await _api.ListAsync<T>(_resource, _namespace, _labelSelector, cancellationToken);
                    ReplaceAll(list.Items);
                    resourceVersion = list.Metadata.ResourceVersion
                        ?? throw new InvalidOperationException($"The list of {_resource.Plural} carries no resourceVersion.");
                    _synced.TrySetResult();
                }

                await foreach (var watchEvent in _api.WatchAsync<T>(_resource, _namespace, resourceVersion, _labelSelector, cancellationToken))
                {
                    resourceVersion = Apply(watchEvent) ?? resourceVersion;
                    progressed = true;
                }
            }
            catch (ResourceVersionTooOldException)
            {
                KubernetesLog.WatchExpired(_logger, _resource.Plural);
                resourceVersion = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                KubernetesLog.WatchFailed(_logger, e, _resource.Plural, progressed ? 0 : backoff.TotalMilliseconds);
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
    private string? Apply(WatchEvent<T> watchEvent)
    {
        if (watchEvent.Type == "ERROR")
        {
            var status = watchEvent.Error;
            throw new KubernetesApiException((HttpStatusCode)(status?.Code ?? 500), status, $"Watch of {_resource.Plural} failed: {status?.Message}");
        }

        if (watchEvent.Object is not { } obj || ObjectMetadata.Of(obj) is not { } metadata)
        {
            return null;
        }

        // A bookmark's object carries only the resourceVersion.
        if (watchEvent.Type == "BOOKMARK" || metadata.Name is not { } name)
        {
            return metadata.ResourceVersion;
        }

        var key = KeyOf(metadata.Namespace, name);
        ResourceChangeType type;
        lock (_gate)
        {
            if (watchEvent.Type == "DELETED")
            {
                _cache.Remove(key);
                type = ResourceChangeType.Deleted;
            }
            else
            {
                type = _cache.ContainsKey(key) ? ResourceChangeType.Modified : ResourceChangeType.Added;
                _cache[key] = obj;
            }
        }

        Notify(new ResourceChange<T>(type, key, obj));
        return metadata.ResourceVersion;
    }

    /// <summary>Replaces the cache with a fresh list, reporting only what differs from what was cached.</summary>
    private void ReplaceAll(List<T> items)
    {
        var fresh = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var metadata = ObjectMetadata.Of(item);
            if (metadata?.Name is { } name)
            {
                fresh[KeyOf(metadata.Namespace, name)] = item;
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
                else if (ObjectMetadata.Of(cached)?.ResourceVersion != ObjectMetadata.Of(item)?.ResourceVersion)
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
            KubernetesLog.ChangeHandlerFailed(_logger, e, _resource.Plural);
        }
    }
}
