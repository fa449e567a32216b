using System.Net;
using System.Security.Cryptography;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// Records core/v1 Events about objects, aggregated as kubectl shows them: the same type, reason and message for
/// the same object within ten minutes bumps the existing Event's count and lastTimestamp (a merge patch) instead
/// of creating another. Best-effort: failures are logged, never thrown, so they cannot break a reconcile.
/// </summary>
public sealed class EventRecorder
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private const int MaxRemembered = 1024;
    private static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);

    private readonly IKubernetesApi _api;
    private readonly string _component;
    private readonly string? _instance;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<EventKey, RecordedEvent> _recent = [];

    /// <param name="component">The reporting component (source.component), e.g. "platform-operator".</param>
    /// <param name="instance">The reporting instance, e.g. the pod name.</param>
    public EventRecorder(IKubernetesApi api, string component, string? instance = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrEmpty(component);
        _api = api;
        _component = component;
        _instance = instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <param name="type"><see cref="Normal"/> or <see cref="Warning"/>.</param>
    /// <param name="reason">A short UpperCamelCase cause, e.g. "ScaledUp".</param>
    public async Task RecordAsync(V1ObjectReference involvedObject, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(involvedObject);
        var key = new EventKey(involvedObject.NamespaceProperty, involvedObject.Kind, involvedObject.Name, involvedObject.Uid, type, reason, message);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = _timeProvider.GetUtcNow();
            Forget(now);
            if (_recent.TryGetValue(key, out var recorded) && await TryIncrementAsync(recorded, now, cancellationToken) is { } incremented)
            {
                _recent[key] = incremented;
                return;
            }

            _recent[key] = await CreateAsync(involvedObject, type, reason, message, now, cancellationToken);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or TimeoutException)
        {
            KubernetesLog.EventNotRecorded(_logger, e, reason, involvedObject.Kind, involvedObject.NamespaceProperty, involvedObject.Name);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Bumps count and lastTimestamp; null when the Event is gone (deleted, or expired by the server's TTL).</summary>
    private async Task<RecordedEvent?> TryIncrementAsync(RecordedEvent recorded, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var count = recorded.Count + 1;
        try
        {
            await _api.PatchEventAsync(recorded.Namespace, recorded.Name, new EventCountPatch(count, now.UtcDateTime), cancellationToken);
            return recorded with { Count = count, LastTimestamp = now };
        }
        catch (KubernetesApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<RecordedEvent> CreateAsync(
        V1ObjectReference involvedObject, string type, string reason, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(involvedObject.NamespaceProperty) ? "default" : involvedObject.NamespaceProperty;
        // Like kubectl's: the object's name plus a unique suffix (random, so a frozen test clock cannot collide).
        var name = $"{involvedObject.Name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var created = await _api.CreateEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            InvolvedObject = involvedObject,
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
            ReportingInstance = _instance,
        }, cancellationToken);
        return new RecordedEvent(ns, created.Metadata?.Name ?? name, created.Count ?? 1, now);
    }

    /// <summary>Drops Events older than the window, and the oldest ones beyond the memory bound.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, _) in _recent.Where(entry => now - entry.Value.LastTimestamp > AggregationWindow).ToList())
        {
            _recent.Remove(key);
        }

        while (_recent.Count >= MaxRemembered)
        {
            _recent.Remove(_recent.MinBy(entry => entry.Value.LastTimestamp).Key);
        }
    }

    private readonly record struct EventKey(
        string? Namespace, string? Kind, string? Name, string? Uid, string Type, string Reason, string Message);

    private sealed record RecordedEvent(string Namespace, string Name, int Count, DateTimeOffset LastTimestamp);

    private sealed record EventCountPatch(int Count, DateTime LastTimestamp);
}
