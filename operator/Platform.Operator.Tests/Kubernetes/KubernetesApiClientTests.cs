using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Platform.Operator.Api;
using Platform.Operator.Kubernetes;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>The seam over the Kubernetes client against the fake API server: paths, verbs, wire format and error mapping.</summary>
public sealed class KubernetesApiClientTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private KubernetesApiClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Get_returns_the_object_and_null_when_the_server_answers_404()
    {
        _server.Put(ApiResource.Deployments, Deployment("shop", "web", replicas: 2));

        var deployment = await _client.GetDeploymentAsync("shop", "web", Cancel);

        Assert.NotNull(deployment);
        Assert.Equal(("web", "shop", 2), (deployment.Metadata.Name, deployment.Metadata.NamespaceProperty, deployment.Spec.Replicas));
        Assert.Equal(1, deployment.Metadata.Generation);
        Assert.False(string.IsNullOrEmpty(deployment.Metadata.ResourceVersion));
        Assert.Null(await _client.GetDeploymentAsync("shop", "absent", Cancel));
        Assert.Null(await _client.GetDeploymentAsync("elsewhere", "web", Cancel));
        Assert.Contains(_server.Requests, r => r.Method == "GET" && r.Path == "/apis/apps/v1/namespaces/shop/deployments/web");
    }

    [Fact]
    public async Task Lists_follow_continue_tokens()
    {
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", name));
        }

        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("other", "f"));
        _server.MaxPageSize = 2;

        var list = await _client.ListAutoscalersAsync("shop", Cancel);

        Assert.Equal(["a", "b", "c", "d", "e"], list.Items.Select(a => a.Metadata.Name));
        Assert.Equal(_server.ResourceVersion, list.Metadata.ResourceVersion);
        Assert.Null(list.Metadata.ContinueProperty);
        var pages = _server.Requests.Where(r => r.Path == "/apis/autoscaling.platform.dev/v1alpha1/namespaces/shop/threadpoolautoscalers").ToList();
        Assert.Equal(3, pages.Count);
        Assert.Equal("500", pages[0].Query["limit"]);
        Assert.Equal("", pages[0].Query["continue"].ToString());
        Assert.NotEqual("", pages[1].Query["continue"].ToString());

        var everywhere = await _client.ListAutoscalersAsync(ns: null, Cancel);
        Assert.Equal(6, everywhere.Items.Count);
        Assert.Contains(_server.Requests, r => r.Path == "/apis/autoscaling.platform.dev/v1alpha1/threadpoolautoscalers");
    }

    [Fact]
    public async Task Pods_are_listed_with_the_label_selector()
    {
        _server.Put(ApiResource.Pods, new V1Pod { Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "shop", Labels = new Dictionary<string, string> { ["app"] = "web" } } });
        _server.Put(ApiResource.Pods, new V1Pod { Metadata = new V1ObjectMeta { Name = "db-1", NamespaceProperty = "shop", Labels = new Dictionary<string, string> { ["app"] = "db" } } });

        var pods = await _client.ListPodsAsync("shop", "app=web", Cancel);

        Assert.Equal("web-1", Assert.Single(pods.Items).Metadata.Name);
        Assert.Contains(_server.Requests, r => r.Path == "/api/v1/namespaces/shop/pods" && r.Query["labelSelector"] == "app=web");
    }

    [Fact]
    public async Task Scaled_objects_are_a_404_where_KEDA_is_not_installed()
    {
        _server.Put(ApiResource.ScaledObjects, new ScaledObject
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop" },
            Spec = new ScaledObjectSpec { ScaleTargetRef = new V2CrossVersionObjectReference { Name = "web" } },
        });

        var scaledObject = Assert.Single((await _client.ListScaledObjectsAsync("shop", Cancel)).Items);
        Assert.Equal(("web", null), (scaledObject.Spec.ScaleTargetRef?.Name, scaledObject.Spec.ScaleTargetRef?.Kind));

        _server.StopServing(ApiResource.ScaledObjects);
        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.ListScaledObjectsAsync("shop", Cancel));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task The_admin_token_Secret_is_read_and_its_data_decoded()
    {
        _server.Put(ApiResource.Secrets, new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "admin", NamespaceProperty = "shop" },
            Data = new Dictionary<string, byte[]> { ["token"] = "s3cret"u8.ToArray() },
        });

        var secret = await _client.GetSecretAsync("shop", "admin", Cancel);

        Assert.Equal("s3cret", System.Text.Encoding.UTF8.GetString(secret!.Data["token"]));
        // Stored as the API stores it: base64.
        Assert.Equal("czNjcmV0", (string?)_server.Get(ApiResource.Secrets, "shop", "admin")!["data"]!["token"]);
        Assert.Null(await _client.GetSecretAsync("shop", "absent", Cancel));
    }

    [Fact]
    public async Task A_request_without_an_accepted_token_fails_with_401_and_the_servers_Status()
    {
        using var stranger = _server.CreateClient(token: "not-a-token");

        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => stranger.GetDeploymentAsync("shop", "web", Cancel));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal(("Unauthorized", 401), (error.Status?.Reason, error.Status?.Code));
        Assert.StartsWith("GET /apis/apps/v1/namespaces/shop/deployments/web failed: 401 Unauthorized", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_yields_added_modified_and_deleted_events_in_order()
    {
        var from = (await _client.ListAutoscalersAsync("shop", Cancel)).Metadata.ResourceVersion;
        // Made before the watch opens: the server replays what came after the resourceVersion.
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "web", evaluationIntervalSeconds: 10));
        await using var events = _client.WatchAutoscalersAsync("shop", from, Cancel).GetAsyncEnumerator(Cancel);

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "web", 10), (events.Current.Type, events.Current.Object.Metadata.Name, events.Current.Object.Spec.EvaluationIntervalSeconds));
        var added = long.Parse(events.Current.Object.Metadata.ResourceVersion, CultureInfo.InvariantCulture);

        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "web", evaluationIntervalSeconds: 30));
        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Modified, "web", 30), (events.Current.Type, events.Current.Object.Metadata.Name, events.Current.Object.Spec.EvaluationIntervalSeconds));
        var modified = long.Parse(events.Current.Object.Metadata.ResourceVersion, CultureInfo.InvariantCulture);

        _server.Delete(ApiResource.ThreadPoolAutoscalers, "shop", "web");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Deleted, "web"), (events.Current.Type, events.Current.Object.Metadata.Name));
        Assert.True(modified > added);

        var request = _server.Requests.Single(r => r.IsWatch);
        Assert.Equal(("true", "true", from, "300"), (request.Query["watch"].ToString(), request.Query["allowWatchBookmarks"].ToString(),
            request.Query["resourceVersion"].ToString(), request.Query["timeoutSeconds"].ToString()));
    }

    [Fact]
    public async Task Watch_yields_bookmarks_with_the_new_resourceVersion()
    {
        var from = _server.ResourceVersion;
        await using var events = _client.WatchAutoscalersAsync("shop", from, Cancel).GetAsyncEnumerator(Cancel);
        var next = events.MoveNextAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");

        _server.Put(ApiResource.Secrets, new V1Secret { Metadata = new V1ObjectMeta { Name = "unrelated", NamespaceProperty = "shop" } });
        _server.SendBookmarks();

        Assert.True(await next);
        Assert.Equal(WatchEventType.Bookmark, events.Current.Type);
        Assert.Equal(_server.ResourceVersion, events.Current.Object.Metadata.ResourceVersion);
        Assert.NotEqual(from, events.Current.Object.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_turns_a_410_ERROR_event_into_ResourceVersionTooOldException()
    {
        await using var events = _client.WatchAutoscalersAsync("shop", _server.ResourceVersion, Cancel).GetAsyncEnumerator(Cancel);
        var next = events.MoveNextAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");

        _server.ExpireWatches(asHttpStatus: false);

        var error = await Assert.ThrowsAsync<ResourceVersionTooOldException>(async () => await next);
        Assert.Equal(HttpStatusCode.Gone, error.StatusCode);
        Assert.Equal(("Expired", 410), (error.Status?.Reason, error.Status?.Code));
    }

    [Fact]
    public async Task Watch_turns_an_HTTP_410_answer_into_ResourceVersionTooOldException()
    {
        var old = _server.ResourceVersion;
        _server.ExpireWatches(asHttpStatus: true);

        var error = await Assert.ThrowsAsync<ResourceVersionTooOldException>(async () =>
        {
            await foreach (var _ in _client.WatchAutoscalersAsync(ns: null, old, Cancel))
            {
            }
        });

        Assert.Equal(HttpStatusCode.Gone, error.StatusCode);
        Assert.Equal("Expired", error.Status?.Reason);
    }

    [Fact]
    public async Task ReplaceStatus_writes_the_status_only_and_a_stale_resourceVersion_is_a_ConflictException()
    {
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "web"));
        var autoscaler = (await _client.GetAutoscalerAsync("shop", "web", Cancel))!;
        var readVersion = autoscaler.Metadata.ResourceVersion;
        autoscaler.Status = new ThreadPoolAutoscalerStatus { ObservedGeneration = 1, DesiredReplicas = 4 };

        var updated = await _client.ReplaceAutoscalerStatusAsync(autoscaler, Cancel);

        Assert.Equal(4, updated.Status?.DesiredReplicas);
        Assert.NotEqual(readVersion, updated.Metadata.ResourceVersion);
        Assert.Equal(1, updated.Metadata.Generation);
        Assert.Equal(4, _server.Get<ThreadPoolAutoscaler>(ApiResource.ThreadPoolAutoscalers, "shop", "web")!.Status?.DesiredReplicas);
        Assert.Contains(_server.Requests, r => r.Method == "PUT" && r.Path == "/apis/autoscaling.platform.dev/v1alpha1/namespaces/shop/threadpoolautoscalers/web/status");

        // The same write again carries the old resourceVersion.
        autoscaler.Status.DesiredReplicas = 5;
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => _client.ReplaceAutoscalerStatusAsync(autoscaler, Cancel));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(("Conflict", 409), (conflict.Status?.Reason, conflict.Status?.Code));
        Assert.Equal(4, _server.Get<ThreadPoolAutoscaler>(ApiResource.ThreadPoolAutoscalers, "shop", "web")!.Status?.DesiredReplicas);
    }

    [Fact]
    public async Task Merge_patch_of_the_scale_subresource_sets_the_deployments_replicas()
    {
        _server.Put(ApiResource.Deployments, Deployment("shop", "web", replicas: 2));

        var scale = await _client.PatchDeploymentScaleAsync("shop", "web", 5, Cancel);

        Assert.Equal(5, scale.Spec.Replicas);
        Assert.Equal("app=web", scale.Status?.Selector);
        var deployment = _server.Get<V1Deployment>(ApiResource.Deployments, "shop", "web")!;
        Assert.Equal((5, 2L), (deployment.Spec.Replicas, deployment.Metadata.Generation));
        Assert.Contains(_server.Requests, r => r.Method == "PATCH" && r.Path == "/apis/apps/v1/namespaces/shop/deployments/web/scale");
    }

    [Fact]
    public async Task Create_returns_the_created_object_and_a_taken_name_is_an_AlreadyExistsException()
    {
        var lease = Lease("operator", holder: "a");

        var created = await _client.CreateLeaseAsync(lease, Cancel);

        Assert.Equal(("operator", "ops", "a"), (created.Metadata.Name, created.Metadata.NamespaceProperty, created.Spec.HolderIdentity));
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        var error = await Assert.ThrowsAsync<AlreadyExistsException>(() => _client.CreateLeaseAsync(lease, Cancel));
        Assert.Equal(("AlreadyExists", 409), (error.Status?.Reason, error.Status?.Code));
    }

    [Fact]
    public async Task Replace_is_conditional_on_the_resourceVersion()
    {
        var created = await _client.CreateLeaseAsync(Lease("operator", holder: "a"), Cancel);
        var staleVersion = created.Metadata.ResourceVersion;
        created.Spec.HolderIdentity = "b";

        var replaced = await _client.ReplaceLeaseAsync(created, Cancel);

        Assert.Equal("b", replaced.Spec.HolderIdentity);
        replaced.Metadata.ResourceVersion = staleVersion;
        replaced.Spec.HolderIdentity = "c";
        await Assert.ThrowsAsync<ConflictException>(() => _client.ReplaceLeaseAsync(replaced, Cancel));
        Assert.Equal("b", _server.Get<V1Lease>(ApiResource.Leases, "ops", "operator")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Other_errors_carry_the_status_code_the_path_and_the_servers_message()
    {
        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.ReplaceLeaseAsync(Lease("missing", holder: "a"), Cancel));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("NotFound", error.Status?.Reason);
        Assert.Equal(
            "PUT /apis/coordination.k8s.io/v1/namespaces/ops/leases/missing failed: 404 NotFound: leases.coordination.k8s.io \"missing\" not found",
            error.Message);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_cancellation_is_honoured()
    {
        _server.ResponseDelay = TimeSpan.FromSeconds(10);
        using var impatient = _server.CreateClient(requestTimeout: TimeSpan.FromMilliseconds(200));

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => impatient.GetDeploymentAsync("shop", "web", Cancel));
        Assert.Equal("Reading deployment shop/web: no answer within 0.2 s.", timeout.Message);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetDeploymentAsync("shop", "web", cancel.Token));
    }

    [Fact]
    public async Task A_watch_is_not_cut_by_the_request_timeout()
    {
        using var impatient = _server.CreateClient(requestTimeout: TimeSpan.FromMilliseconds(200));
        await using var events = impatient.WatchAutoscalersAsync("shop", _server.ResourceVersion, Cancel).GetAsyncEnumerator(Cancel);
        var next = events.MoveNextAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");

        await Task.Delay(TimeSpan.FromMilliseconds(600), Cancel);
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "late"));

        Assert.True(await next);
        Assert.Equal((WatchEventType.Added, "late"), (events.Current.Type, events.Current.Object.Metadata.Name));
    }

    [Fact]
    public async Task Lease_times_are_written_in_UTC_with_exactly_six_fractional_digits_which_MicroTime_fields_require()
    {
        // 7 fractional digits and an offset: .NET's default format, which the API server refuses for MicroTime.
        var time = new DateTimeOffset(2026, 11, 22, 1, 5, 8, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        var lease = Lease("operator", holder: "a");
        lease.Spec.AcquireTime = lease.Spec.RenewTime = time.UtcDateTime;

        var created = await _client.CreateLeaseAsync(lease, Cancel);

        var stored = _server.Get(ApiResource.Leases, "ops", "operator")!;
        Assert.Equal("2026-11-21T23:05:08.123456Z", (string?)stored["spec"]!["acquireTime"]);
        Assert.Equal("2026-11-21T23:05:08.123456Z", (string?)stored["spec"]!["renewTime"]);
        Assert.Equal(Microseconds(time), created.Spec.AcquireTime);
    }

    private static V1Lease Lease(string name, string holder) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ops" },
        Spec = new V1LeaseSpec { HolderIdentity = holder },
    };
}
