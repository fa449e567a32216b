namespace Platform.Operator.Kubernetes;

/// <summary>The log messages of the watcher, the event recorder and the leader elector.</summary>
internal static partial class KubernetesLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Resource} expired (410 Gone); relisting")]
    public static partial void WatchExpired(ILogger logger, string resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "List/watch of {Resource} failed; retrying in {DelayMs} ms")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string resource, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change handler of {Resource} threw; the watch goes on")]
    public static partial void ChangeHandlerFailed(ILogger logger, Exception exception, string resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Reason} on {Kind} {Namespace}/{Name} could not be recorded")]
    public static partial void EventNotRecorded(ILogger logger, Exception exception, string reason, string? kind, string? @namespace, string? name);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} acquired lease {Namespace}/{Lease}")]
    public static partial void LeaseAcquired(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} lost lease {Namespace}/{Lease}: not renewed within {DeadlineSeconds} s")]
    public static partial void LeaseLost(ILogger logger, string identity, string @namespace, string lease, double deadlineSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} released lease {Namespace}/{Lease}")]
    public static partial void LeaseReleased(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Namespace}/{Lease}: acquire, renew or release by {Identity} failed")]
    public static partial void LeaseAttemptFailed(ILogger logger, Exception exception, string identity, string @namespace, string lease);
}
