using k8s;
using k8s.Models;
using Platform.Operator.Api;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// The API calls the operator makes (each allowed by a rule of the chart's RBAC), over the Kubernetes client's models.
/// Errors are <see cref="KubernetesApiException"/> (409: <see cref="ConflictException"/> or
/// <see cref="AlreadyExistsException"/>; 410: <see cref="ResourceVersionTooOldException"/>); a request that cannot be
/// sent (no connection, no credentials) is an <see cref="HttpRequestException"/>; calls other than the watch time out
/// with <see cref="TimeoutException"/>. Lists follow continue tokens and return every item.
/// </summary>
public interface IKubernetesApi
{
    /// <summary>The Deployment, or null when there is none of that name.</summary>
    Task<V1Deployment?> GetDeploymentAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>JSON merge patch of deployments/{name}/scale with {"spec":{"replicas":…}}.</summary>
    Task<V1Scale> PatchDeploymentScaleAsync(string ns, string name, int replicas, CancellationToken cancellationToken = default);

    Task<V1PodList> ListPodsAsync(string ns, string? labelSelector, CancellationToken cancellationToken = default);

    /// <summary>The Secret, or null when there is none of that name.</summary>
    Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken = default);

    Task<V2HorizontalPodAutoscalerList> ListHorizontalPodAutoscalersAsync(string ns, CancellationToken cancellationToken = default);

    /// <summary>KEDA's ScaledObjects; a 404 <see cref="KubernetesApiException"/> where KEDA is not installed.</summary>
    Task<KubernetesList<ScaledObject>> ListScaledObjectsAsync(string ns, CancellationToken cancellationToken = default);

    /// <summary>The autoscaler, or null when there is none of that name.</summary>
    Task<ThreadPoolAutoscaler?> GetAutoscalerAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>The autoscalers of <paramref name="ns"/>, or of every namespace when it is null; the list's resourceVersion is the one to watch from.</summary>
    Task<KubernetesList<ThreadPoolAutoscaler>> ListAutoscalersAsync(string? ns, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes after <paramref name="resourceVersion"/>, bookmarks included, until the server ends the stream. An ERROR
    /// event ends it with an exception: for 410 Gone (like an HTTP 410 answer) a <see cref="ResourceVersionTooOldException"/>,
    /// and the caller must relist. A stream that outlives the server's own watch timeout by a grace period is presumed
    /// dead and ends with a <see cref="TimeoutException"/>.
    /// </summary>
    IAsyncEnumerable<(WatchEventType Type, ThreadPoolAutoscaler Object)> WatchAutoscalersAsync(
        string? ns, string resourceVersion, CancellationToken cancellationToken = default);

    /// <summary>PUT of the status subresource; the object's metadata.resourceVersion makes it conditional (409 on a stale one).</summary>
    Task<ThreadPoolAutoscaler> ReplaceAutoscalerStatusAsync(ThreadPoolAutoscaler autoscaler, CancellationToken cancellationToken = default);

    /// <summary>POST of a core/v1 Event in its metadata's namespace.</summary>
    Task<Corev1Event> CreateEventAsync(Corev1Event coreEvent, CancellationToken cancellationToken = default);

    /// <summary>JSON merge patch (RFC 7386) of an Event; <paramref name="patch"/> is serialized as the client's models are.</summary>
    Task<Corev1Event> PatchEventAsync(string ns, string name, object patch, CancellationToken cancellationToken = default);

    /// <summary>The Lease, or null when there is none of that name.</summary>
    Task<V1Lease?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>POST of a new Lease; <see cref="AlreadyExistsException"/> when the name is taken.</summary>
    Task<V1Lease> CreateLeaseAsync(V1Lease lease, CancellationToken cancellationToken = default);

    /// <summary>PUT of the whole Lease; its metadata.resourceVersion makes it conditional (409 on a stale one).</summary>
    Task<V1Lease> ReplaceLeaseAsync(V1Lease lease, CancellationToken cancellationToken = default);
}
