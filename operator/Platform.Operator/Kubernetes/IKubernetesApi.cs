namespace Platform.Operator.Kubernetes;

/// <summary>
/// The API operations the operator uses, typed over the object model. Errors are <see cref="KubernetesApiException"/>
/// (409: <see cref="ConflictException"/> or <see cref="AlreadyExistsException"/>; 410:
/// <see cref="ResourceVersionTooOldException"/>); calls other than watches time out with <see cref="TimeoutException"/>.
/// </summary>
public interface IKubernetesApi
{
    /// <summary>The object, or null when the server answers 404 (no such object, or the resource is not served).</summary>
    Task<T?> GetAsync<T>(KubeResource resource, string? ns, string name, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>
    /// Every object of the namespace (every namespace's when <paramref name="ns"/> is null) matching the label
    /// selector, following continue tokens; the list's resourceVersion is the one to watch from.
    /// </summary>
    Task<KubeList<T>> ListAsync<T>(KubeResource resource, string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>
    /// Changes after <paramref name="resourceVersion"/>, bookmarks included, until the server ends the stream.
    /// ERROR events are yielded with <see cref="WatchEvent{T}.Error"/> set, except 410 Gone, which (like an HTTP 410
    /// answer) throws <see cref="ResourceVersionTooOldException"/>: the caller must relist.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        KubeResource resource, string? ns, string resourceVersion, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>
    /// JSON merge patch (RFC 7386) of the object or of a subresource, e.g. "scale" with {"spec":{"replicas":3}};
    /// <paramref name="patch"/> is a JsonNode or any serializable object. Returns what the server returns.
    /// </summary>
    Task<T> PatchMergeAsync<T>(
        KubeResource resource, string? ns, string name, object patch, string? subresource = null, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>PUT of the status subresource; the object's metadata.resourceVersion makes it conditional (409 on a stale one).</summary>
    Task<T> ReplaceStatusAsync<T>(KubeResource resource, string? ns, string name, T obj, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>POST of a new object; <see cref="AlreadyExistsException"/> when the name is taken.</summary>
    Task<T> CreateAsync<T>(KubeResource resource, string? ns, T obj, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>PUT of the whole object; its metadata.resourceVersion makes it conditional (409 on a stale one).</summary>
    Task<T> ReplaceAsync<T>(KubeResource resource, string? ns, string name, T obj, CancellationToken cancellationToken = default)
        where T : class;
}
