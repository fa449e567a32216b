using System.Net;
using System.Text.Json.Nodes;
using Platform.Operator.Api;
using Platform.Operator.Kubernetes;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>The REST client against the fake API server: paths, verbs, wire format and error mapping.</summary>
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
        _server.Put(KubeResource.Deployments, Deployment("shop", "web", replicas: 2));

        var deployment = await _client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel);

        Assert.NotNull(deployment);
        Assert.Equal("web", deployment.Metadata.Name);
        Assert.Equal("shop", deployment.Metadata.Namespace);
        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal(1, deployment.Metadata.Generation);
        Assert.False(string.IsNullOrEmpty(deployment.Metadata.ResourceVersion));
        Assert.Null(await _client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "absent", Cancel));
        Assert.Null(await _client.GetAsync<Deployment>(KubeResource.Deployments, "elsewhere", "web", Cancel));
        // A resource the server does not serve (e.g. KEDA not installed) is a 404 too.
        Assert.Null(await _client.GetAsync<ScaledObject>(new KubeResource("example.com", "v1", "widgets"), "shop", "web", Cancel));
    }

    [Fact]
    public async Task List_follows_continue_tokens_and_returns_the_lists_resourceVersion()
    {
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            _server.Put(KubeResource.Deployments, Deployment("shop", name));
        }

        _server.Put(KubeResource.Deployments, Deployment("other", "f"));
        _server.MaxPageSize = 2;

        var list = await _client.ListAsync<Deployment>(KubeResource.Deployments, "shop", cancellationToken: Cancel);

        Assert.Equal(["a", "b", "c", "d", "e"], list.Items.Select(d => d.Metadata.Name));
        Assert.Equal(_server.ResourceVersion, list.Metadata.ResourceVersion);
        Assert.Null(list.Metadata.Continue);
        var pages = _server.Requests.Where(r => r.Path == "/apis/apps/v1/namespaces/shop/deployments").ToList();
        Assert.Equal(3, pages.Count);
        Assert.Equal("500", pages[0].Query["limit"]);
        Assert.Equal("", pages[0].Query["continue"].ToString());
        Assert.NotEqual("", pages[1].Query["continue"].ToString());

        var everywhere = await _client.ListAsync<Deployment>(KubeResource.Deployments, ns: null, cancellationToken: Cancel);
        Assert.Equal(6, everywhere.Items.Count);
    }

    [Fact]
    public async Task List_sends_the_label_selector()
    {
        _server.Put(KubeResource.Pods, new Pod { Metadata = new ObjectMeta { Name = "web-1", Namespace = "shop", Labels = new() { ["app"] = "web" } } });
        _server.Put(KubeResource.Pods, new Pod { Metadata = new ObjectMeta { Name = "db-1", Namespace = "shop", Labels = new() { ["app"] = "db" } } });

        var pods = await _client.ListAsync<Pod>(KubeResource.Pods, "shop", "app=web", Cancel);

        Assert.Equal("web-1", Assert.Single(pods.Items).Metadata.Name);
        Assert.Contains(_server.Requests, r => r.Path == "/api/v1/namespaces/shop/pods" && r.Query["labelSelector"] == "app=web");
    }

    [Fact]
    public async Task A_request_without_an_accepted_token_fails_with_401_and_the_servers_Status()
    {
        using var stranger = _server.CreateClient(token: "not-a-token");

        var error = await Assert.ThrowsAsync<KubernetesApiException>(
            () => stranger.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("Unauthorized", error.Status?.Reason);
        Assert.Equal(401, error.Status?.Code);
    }

    [Fact]
    public async Task Watch_yields_added_modified_and_deleted_events_in_order()
    {
        var from = (await _client.ListAsync<Deployment>(KubeResource.Deployments, "shop", cancellationToken: Cancel)).Metadata.ResourceVersion!;
        // Made before the watch opens: the server replays what came after the resourceVersion.
        _server.Put(KubeResource.Deployments, Deployment("shop", "web", replicas: 1));
        await using var events = _client.WatchAsync<Deployment>(KubeResource.Deployments, "shop", from, cancellationToken: Cancel).GetAsyncEnumerator(Cancel);

        Assert.True(await events.MoveNextAsync());
        Assert.Equal(("ADDED", "web", 1), (events.Current.Type, events.Current.Object!.Metadata.Name, events.Current.Object.Spec.Replicas));
        var added = long.Parse(events.Current.Object.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture);

        _server.Put(KubeResource.Deployments, Deployment("shop", "web", replicas: 3));
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(("MODIFIED", "web", 3), (events.Current.Type, events.Current.Object!.Metadata.Name, events.Current.Object.Spec.Replicas));
        var modified = long.Parse(events.Current.Object.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture);

        _server.Delete(KubeResource.Deployments, "shop", "web");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(("DELETED", "web"), (events.Current.Type, events.Current.Object!.Metadata.Name));
        Assert.True(modified > added);

        var request = _server.Requests.Single(r => r.Query.ContainsKey("watch"));
        Assert.Equal(("1", "true", from), (request.Query["watch"].ToString(), request.Query["allowWatchBookmarks"].ToString(), request.Query["resourceVersion"].ToString()));
    }

    [Fact]
    public async Task Watch_yields_bookmarks_with_the_new_resourceVersion()
    {
        var from = _server.ResourceVersion;
        await using var events = _client.WatchAsync<Deployment>(KubeResource.Deployments, "shop", from, cancellationToken: Cancel).GetAsyncEnumerator(Cancel);
        var next = events.MoveNextAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");

        _server.Put(KubeResource.Secrets, new Secret { Metadata = new ObjectMeta { Name = "unrelated", Namespace = "shop" } });
        _server.SendBookmarks();

        Assert.True(await next);
        Assert.Equal("BOOKMARK", events.Current.Type);
        Assert.Equal(_server.ResourceVersion, events.Current.Object!.Metadata.ResourceVersion);
        Assert.NotEqual(from, events.Current.Object.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_turns_a_410_ERROR_event_into_ResourceVersionTooOldException()
    {
        await using var events = _client.WatchAsync<Deployment>(KubeResource.Deployments, "shop", _server.ResourceVersion, cancellationToken: Cancel).GetAsyncEnumerator(Cancel);
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
            await foreach (var _ in _client.WatchAsync<Deployment>(KubeResource.Deployments, "shop", old, cancellationToken: Cancel))
            {
            }
        });

        Assert.Equal(HttpStatusCode.Gone, error.StatusCode);
        Assert.Equal("Expired", error.Status?.Reason);
    }

    [Fact]
    public async Task ReplaceStatus_writes_the_status_only_and_a_stale_resourceVersion_is_a_ConflictException()
    {
        _server.Put(KubeResource.ThreadPoolAutoscalers, new ThreadPoolAutoscaler
        {
            Metadata = new ObjectMeta { Name = "web", Namespace = "shop" },
            Spec = new ThreadPoolAutoscalerSpec { TargetRef = new TargetReference { Name = "web" } },
        });
        var autoscaler = (await _client.GetAsync<ThreadPoolAutoscaler>(KubeResource.ThreadPoolAutoscalers, "shop", "web", Cancel))!;
        var readVersion = autoscaler.Metadata.ResourceVersion;
        autoscaler.Status = new ThreadPoolAutoscalerStatus { ObservedGeneration = 1, DesiredReplicas = 4 };

        var updated = await _client.ReplaceStatusAsync(KubeResource.ThreadPoolAutoscalers, "shop", "web", autoscaler, Cancel);

        Assert.Equal(4, updated.Status?.DesiredReplicas);
        Assert.NotEqual(readVersion, updated.Metadata.ResourceVersion);
        Assert.Equal(1, updated.Metadata.Generation);
        Assert.Equal(4, _server.Get<ThreadPoolAutoscaler>(KubeResource.ThreadPoolAutoscalers, "shop", "web")!.Status?.DesiredReplicas);
        Assert.Contains(_server.Requests, r => r.Method == "PUT" && r.Path == "/apis/autoscaling.platform.dev/v1alpha1/namespaces/shop/threadpoolautoscalers/web/status");

        // The same write again carries the old resourceVersion.
        autoscaler.Status.DesiredReplicas = 5;
        var conflict = await Assert.ThrowsAsync<ConflictException>(
            () => _client.ReplaceStatusAsync(KubeResource.ThreadPoolAutoscalers, "shop", "web", autoscaler, Cancel));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(("Conflict", 409), (conflict.Status?.Reason, conflict.Status?.Code));
        Assert.Equal(4, _server.Get<ThreadPoolAutoscaler>(KubeResource.ThreadPoolAutoscalers, "shop", "web")!.Status?.DesiredReplicas);
    }

    [Fact]
    public async Task Merge_patch_of_the_scale_subresource_sets_the_deployments_replicas()
    {
        _server.Put(KubeResource.Deployments, Deployment("shop", "web", replicas: 2));

        var scale = await _client.PatchMergeAsync<Scale>(
            KubeResource.Deployments, "shop", "web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 5 } }, "scale", Cancel);

        Assert.Equal(5, scale.Spec.Replicas);
        Assert.Equal("app=web", scale.Status?.Selector);
        var deployment = _server.Get<Deployment>(KubeResource.Deployments, "shop", "web")!;
        Assert.Equal(5, deployment.Spec.Replicas);
        Assert.Equal(2, deployment.Metadata.Generation);
        Assert.Contains(_server.Requests, r => r.Method == "PATCH" && r.Path == "/apis/apps/v1/namespaces/shop/deployments/web/scale");
    }

    [Fact]
    public async Task Merge_patch_of_an_object_merges_maps_and_null_removes_a_key()
    {
        _server.Put(KubeResource.Deployments, Deployment("shop", "web", labels: new() { ["app"] = "web", ["tier"] = "front" }));
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tier"] = null, ["team"] = "shop" } } };

        var patched = await _client.PatchMergeAsync<Deployment>(KubeResource.Deployments, "shop", "web", patch, cancellationToken: Cancel);

        Assert.Equal(new Dictionary<string, string> { ["app"] = "web", ["team"] = "shop" }, patched.Metadata.Labels);
        Assert.Equal(1, patched.Metadata.Generation);
    }

    [Fact]
    public async Task Create_returns_the_created_object_and_a_taken_name_is_an_AlreadyExistsException()
    {
        var lease = new Lease { Metadata = new ObjectMeta { Name = "operator", Namespace = "ops" }, Spec = new LeaseSpec { HolderIdentity = "a" } };

        var created = await _client.CreateAsync(KubeResource.Leases, "ops", lease, Cancel);

        Assert.Equal(("operator", "ops", "a"), (created.Metadata.Name, created.Metadata.Namespace, created.Spec.HolderIdentity));
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        var error = await Assert.ThrowsAsync<AlreadyExistsException>(() => _client.CreateAsync(KubeResource.Leases, "ops", lease, Cancel));
        Assert.Equal(("AlreadyExists", 409), (error.Status?.Reason, error.Status?.Code));
    }

    [Fact]
    public async Task Replace_is_conditional_on_the_resourceVersion()
    {
        var created = await _client.CreateAsync(KubeResource.Leases, "ops", new Lease { Metadata = new ObjectMeta { Name = "operator" }, Spec = new LeaseSpec { HolderIdentity = "a" } }, Cancel);
        var staleVersion = created.Metadata.ResourceVersion;
        created.Spec.HolderIdentity = "b";

        var replaced = await _client.ReplaceAsync(KubeResource.Leases, "ops", "operator", created, Cancel);

        Assert.Equal("b", replaced.Spec.HolderIdentity);
        replaced.Metadata.ResourceVersion = staleVersion;
        replaced.Spec.HolderIdentity = "c";
        await Assert.ThrowsAsync<ConflictException>(() => _client.ReplaceAsync(KubeResource.Leases, "ops", "operator", replaced, Cancel));
        Assert.Equal("b", _server.Get<Lease>(KubeResource.Leases, "ops", "operator")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Other_errors_carry_the_status_code_and_the_servers_Status()
    {
        var lease = new Lease { Metadata = new ObjectMeta { Name = "missing" } };

        var error = await Assert.ThrowsAsync<KubernetesApiException>(() => _client.ReplaceAsync(KubeResource.Leases, "ops", "missing", lease, Cancel));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("NotFound", error.Status?.Reason);
        Assert.Contains("/apis/coordination.k8s.io/v1/namespaces/ops/leases/missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("leases.coordination.k8s.io \"missing\" not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_cancellation_is_honoured()
    {
        _server.ResponseDelay = TimeSpan.FromSeconds(10);
        using var impatient = _server.CreateClient(requestTimeout: TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<TimeoutException>(() => impatient.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", cancel.Token));
    }

    [Fact]
    public async Task Times_are_written_as_UTC_with_exactly_six_fractional_digits_which_MicroTime_fields_require()
    {
        // 7 fractional digits and an offset: the default DateTimeOffset format, which the API server refuses for MicroTime.
        var time = new DateTimeOffset(2026, 11, 22, 1, 5, 8, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        var lease = new Lease
        {
            Metadata = new ObjectMeta { Name = "operator" },
            Spec = new LeaseSpec { HolderIdentity = "a", AcquireTime = time, RenewTime = time },
        };

        var created = await _client.CreateAsync(KubeResource.Leases, "ops", lease, Cancel);

        var stored = _server.Get(KubeResource.Leases, "ops", "operator")!;
        Assert.Equal("2026-11-21T23:05:08.123456Z", (string?)stored["spec"]!["acquireTime"]);
        Assert.Equal("2026-11-21T23:05:08.123456Z", (string?)stored["spec"]!["renewTime"]);
        Assert.Equal(Microseconds(time), created.Spec.AcquireTime);
    }
}
