using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Platform.Operator.Api;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// <see cref="IKubernetesApi"/> over the official client (<see cref="k8s.Kubernetes"/>): its typed calls for the
/// built-in resources, its custom-objects calls for the ThreadPoolAutoscaler and KEDA's ScaledObject. What is added
/// here is the seam's contract: the error vocabulary, null for a 404 on a read, every page of a list, a request
/// timeout that names the call, and a deadline on watches.
/// </summary>
public sealed class KubernetesApiClient : IKubernetesApi, IDisposable
{
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    private const int ListPageSize = 500;

    // The server ends each watch after WatchTimeout; a stream that outlives it by WatchGrace is on a dead
    // connection (nothing else would notice one on HTTP/1.1), so it is abandoned with a TimeoutException.
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan WatchGrace = TimeSpan.FromSeconds(30);

    private readonly k8s.Kubernetes _client;
    private readonly TimeSpan _requestTimeout;

    /// <param name="config">From <see cref="KubernetesClientConfig"/>, or made by hand (tests).</param>
    /// <param name="requestTimeout">For every call but the watch; <see cref="DefaultRequestTimeout"/> by default.</param>
    public KubernetesApiClient(KubernetesClientConfiguration config, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _requestTimeout = requestTimeout ?? DefaultRequestTimeout;
        try
        {
            _client = new k8s.Kubernetes(KubernetesClientConfig.VerifyServerStrictly(config)) { HttpClientTimeout = _requestTimeout };
        }
        catch (Exception e) when (e is KubeConfigException or FormatException or IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new KubernetesConfigException($"The Kubernetes client cannot be configured: {e.Message}", e);
        }
    }

    public Task<V1Deployment?> GetDeploymentAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetOrNullAsync($"Reading deployment {ns}/{name}",
            t => _client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: t), cancellationToken);

    public Task<V1Scale> PatchDeploymentScaleAsync(string ns, string name, int replicas, CancellationToken cancellationToken = default) =>
        CallAsync($"Scaling deployment {ns}/{name}",
            t => _client.AppsV1.PatchNamespacedDeploymentScaleAsync(MergePatch(new { spec = new { replicas } }), name, ns, cancellationToken: t),
            cancellationToken);

    public Task<V1PodList> ListPodsAsync(string ns, string? labelSelector, CancellationToken cancellationToken = default) =>
        AllPagesAsync<V1PodList, V1Pod>($"Listing pods in {ns}",
            (page, t) => _client.CoreV1.ListNamespacedPodAsync(ns, continueParameter: page, labelSelector: labelSelector, limit: ListPageSize, cancellationToken: t),
            cancellationToken);

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetOrNullAsync($"Reading secret {ns}/{name}",
            t => _client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: t), cancellationToken);

    public Task<V2HorizontalPodAutoscalerList> ListHorizontalPodAutoscalersAsync(string ns, CancellationToken cancellationToken = default) =>
        AllPagesAsync<V2HorizontalPodAutoscalerList, V2HorizontalPodAutoscaler>($"Listing horizontal pod autoscalers in {ns}",
            (page, t) => _client.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(ns, continueParameter: page, limit: ListPageSize, cancellationToken: t),
            cancellationToken);

    public Task<KubernetesList<ScaledObject>> ListScaledObjectsAsync(string ns, CancellationToken cancellationToken = default) =>
        AllPagesAsync<KubernetesList<ScaledObject>, ScaledObject>($"Listing KEDA scaled objects in {ns}",
            (page, t) => _client.CustomObjects.ListNamespacedCustomObjectAsync<KubernetesList<ScaledObject>>(
                ScaledObject.Group, ScaledObject.Version, ns, ScaledObject.Plural, continueParameter: page, limit: ListPageSize, cancellationToken: t),
            cancellationToken);

    public Task<ThreadPoolAutoscaler?> GetAutoscalerAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetOrNullAsync($"Reading {ThreadPoolAutoscaler.Plural} {ns}/{name}",
            t => _client.CustomObjects.GetNamespacedCustomObjectAsync<ThreadPoolAutoscaler>(
                ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ns, ThreadPoolAutoscaler.Plural, name, t),
            cancellationToken);

    public Task<KubernetesList<ThreadPoolAutoscaler>> ListAutoscalersAsync(string? ns, CancellationToken cancellationToken = default) =>
        AllPagesAsync<KubernetesList<ThreadPoolAutoscaler>, ThreadPoolAutoscaler>($"Listing {ThreadPoolAutoscaler.Plural} in {ns ?? "all namespaces"}",
            (page, t) => ns is null
                ? _client.CustomObjects.ListCustomObjectForAllNamespacesAsync<KubernetesList<ThreadPoolAutoscaler>>(
                    ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ThreadPoolAutoscaler.Plural, continueParameter: page, limit: ListPageSize, cancellationToken: t)
                : _client.CustomObjects.ListNamespacedCustomObjectAsync<KubernetesList<ThreadPoolAutoscaler>>(
                    ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ns, ThreadPoolAutoscaler.Plural, continueParameter: page, limit: ListPageSize, cancellationToken: t),
            cancellationToken);

    public async IAsyncEnumerable<(WatchEventType Type, ThreadPoolAutoscaler Object)> WatchAutoscalersAsync(
        string? ns, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceVersion);
        var what = $"Watch of {ThreadPoolAutoscaler.Plural} in {ns ?? "all namespaces"}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(WatchTimeout + WatchGrace);
        // The client reports an ERROR event (a Status) here and reads on; the server ends the stream after one.
        Exception? streamError = null;
        var timeoutSeconds = (int)WatchTimeout.TotalSeconds;
        var events = ns is null
            ? _client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ThreadPoolAutoscaler.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: e => streamError ??= e, cancellationToken: deadline.Token)
            : _client.CustomObjects.WatchListNamespacedCustomObjectAsync(ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ns, ThreadPoolAutoscaler.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: e => streamError ??= e, cancellationToken: deadline.Token);

        await using var enumerator = events.GetAsyncEnumerator(deadline.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{what} outlived its {WatchTimeout.TotalSeconds:0} s timeout: the connection is presumed dead.", e);
            }
            catch (Exception e) when (Map(what, e) is { } mapped)
            {
                throw mapped;
            }

            if (streamError is not null)
            {
                throw StreamError(what, streamError);
            }

            if (!more)
            {
                yield break;
            }

            var (type, obj) = enumerator.Current;
            yield return (type, KubernetesJson.Deserialize<ThreadPoolAutoscaler>((JsonElement)obj));
        }
    }

    public Task<ThreadPoolAutoscaler> ReplaceAutoscalerStatusAsync(ThreadPoolAutoscaler autoscaler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(autoscaler);
        var (ns, name) = (autoscaler.Metadata.NamespaceProperty, autoscaler.Metadata.Name);
        return CallAsync($"Writing the status of {ThreadPoolAutoscaler.Plural} {ns}/{name}",
            t => _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<ThreadPoolAutoscaler>(
                autoscaler, ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ns, ThreadPoolAutoscaler.Plural, name, cancellationToken: t),
            cancellationToken);
    }

    public Task<Corev1Event> CreateEventAsync(Corev1Event coreEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(coreEvent);
        var ns = coreEvent.Metadata.NamespaceProperty;
        return CallAsync($"Creating an event in {ns}",
            t => _client.CoreV1.CreateNamespacedEventAsync(coreEvent, ns, cancellationToken: t), cancellationToken);
    }

    public Task<Corev1Event> PatchEventAsync(string ns, string name, object patch, CancellationToken cancellationToken = default) =>
        CallAsync($"Updating event {ns}/{name}",
            t => _client.CoreV1.PatchNamespacedEventAsync(MergePatch(patch), name, ns, cancellationToken: t), cancellationToken);

    public Task<V1Lease?> GetLeaseAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetOrNullAsync($"Reading lease {ns}/{name}",
            t => _client.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: t), cancellationToken);

    public Task<V1Lease> CreateLeaseAsync(V1Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var ns = lease.Metadata.NamespaceProperty;
        return CallAsync($"Creating lease {ns}/{lease.Metadata.Name}",
            t => _client.CoordinationV1.CreateNamespacedLeaseAsync(lease, ns, cancellationToken: t), cancellationToken);
    }

    public Task<V1Lease> ReplaceLeaseAsync(V1Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var (ns, name) = (lease.Metadata.NamespaceProperty, lease.Metadata.Name);
        return CallAsync($"Updating lease {ns}/{name}",
            t => _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, ns, cancellationToken: t), cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    private static V1Patch MergePatch(object patch) => new(patch, V1Patch.PatchType.MergePatch);

    private async Task<T> CallAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's own request timeout (HttpClientTimeout) cancels the call.
            throw new TimeoutException($"{what}: no answer within {_requestTimeout.TotalSeconds:0.#} s.", e);
        }
        catch (Exception e) when (Map(what, e) is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task<T?> GetOrNullAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await CallAsync(what, call, cancellationToken);
        }
        catch (KubernetesApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every page of a list; the resourceVersion is the last page's (all pages come from one snapshot).</summary>
    private async Task<TList> AllPagesAsync<TList, TItem>(
        string what, Func<string?, CancellationToken, Task<TList>> page, CancellationToken cancellationToken)
        where TList : IItems<TItem>, IMetadata<V1ListMeta>
    {
        var list = await CallAsync(what, t => page(null, t), cancellationToken);
        var items = new List<TItem>(list.Items ?? []);
        var continueToken = list.Metadata?.ContinueProperty;
        while (!string.IsNullOrEmpty(continueToken))
        {
            var token = continueToken;
            var next = await CallAsync(what, t => page(token, t), cancellationToken);
            items.AddRange(next.Items ?? []);
            list.Metadata = next.Metadata;
            continueToken = next.Metadata?.ContinueProperty;
        }

        list.Items = items;
        return list;
    }

    /// <summary>The client's exceptions in the seam's vocabulary; null for those that pass as they are.</summary>
    private static Exception? Map(string what, Exception error) => error switch
    {
        HttpOperationException answered => KubernetesApiException.From(answered),
        // Credentials that could not be had (an exec plugin failing, an unreadable token file): nothing was sent.
        KubeConfigException or KubernetesClientException or IOException => new HttpRequestException($"{what} failed: {error.Message}", error),
        _ => null,
    };

    private static Exception StreamError(string what, Exception error)
    {
        if (error is KubernetesException { Status: { } status })
        {
            return KubernetesApiException.For((HttpStatusCode)(status.Code ?? 500), status, $"{what} failed: {status.Code} {status.Reason}: {status.Message}", error);
        }

        // An event that could not be read: as the client reported it.
        ExceptionDispatchInfo.Throw(error);
        return error;
    }
}
