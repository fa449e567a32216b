using System.Text.Json.Nodes;
using Platform.Operator.Api;
using Platform.Operator.Kubernetes;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>
/// The same client against a real kube-apiserver + etcd (see <see cref="EnvtestCluster"/>): what the fake server
/// can only imitate — validation, the scale subresource, MicroTime decoding, CRD status — checked for real.
/// </summary>
public sealed class EnvtestTests(EnvtestCluster cluster) : IClassFixture<EnvtestCluster>
{
    private const string Namespace = "default";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private KubernetesApiClient Client
    {
        get
        {
            Assert.SkipUnless(cluster.IsAvailable, EnvtestCluster.SkipMessage);
            return cluster.Client;
        }
    }

    [Fact]
    public async Task Deployments_are_read_listed_and_scaled_through_the_scale_subresource()
    {
        var client = Client;
        var name = UniqueName("web");
        await client.CreateAsync(KubeResource.Deployments, Namespace, DeploymentJson(name, replicas: 1), Cancel);

        var deployment = await client.GetAsync<Deployment>(KubeResource.Deployments, Namespace, name, Cancel);
        Assert.Equal((1, 1L), (deployment?.Spec.Replicas, deployment?.Metadata.Generation));
        var listed = await client.ListAsync<Deployment>(KubeResource.Deployments, Namespace, $"app={name}", Cancel);
        Assert.Equal(name, Assert.Single(listed.Items).Metadata.Name);
        Assert.False(string.IsNullOrEmpty(listed.Metadata.ResourceVersion));
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, Namespace, UniqueName("absent"), Cancel));

        var scale = await client.PatchMergeAsync<Scale>(
            KubeResource.Deployments, Namespace, name, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, "scale", Cancel);

        Assert.Equal(3, scale.Spec.Replicas);
        var scaled = await client.GetAsync<Deployment>(KubeResource.Deployments, Namespace, name, Cancel);
        Assert.Equal((3, 2L), (scaled?.Spec.Replicas, scaled?.Metadata.Generation));
        await Assert.ThrowsAsync<AlreadyExistsException>(() => client.CreateAsync(KubeResource.Deployments, Namespace, DeploymentJson(name, 1), Cancel));
    }

    [Fact]
    public async Task The_watcher_sees_deployments_added_and_modified()
    {
        var client = Client;
        var name = UniqueName("watched");
        var changes = new System.Collections.Concurrent.ConcurrentQueue<(ResourceChangeType, string)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var watcher = new ResourceWatcher<Deployment>(client, KubeResource.Deployments, Namespace, c => changes.Enqueue((c.Type, c.Key)), $"app={name}");
        var running = watcher.RunAsync(stop.Token);
        await watcher.Synced.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Empty(watcher.Snapshot());

        await client.CreateAsync(KubeResource.Deployments, Namespace, DeploymentJson(name, replicas: 1), Cancel);
        await WaitUntilAsync(() => watcher.Get(Namespace, name) is not null, "the watcher sees the deployment");
        await client.PatchMergeAsync<Scale>(KubeResource.Deployments, Namespace, name, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 2 } }, "scale", Cancel);
        await WaitUntilAsync(() => watcher.Get(Namespace, name)?.Spec.Replicas == 2, "the watcher sees the new replica count");

        Assert.Equal((ResourceChangeType.Added, $"{Namespace}/{name}"), changes.First());
        Assert.Contains((ResourceChangeType.Modified, $"{Namespace}/{name}"), changes);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
    }

    [Fact]
    public async Task The_custom_resources_status_is_replaced_and_a_stale_write_conflicts()
    {
        var client = Client;
        var name = UniqueName("tpa");
        var created = await client.CreateAsync(KubeResource.ThreadPoolAutoscalers, Namespace, new ThreadPoolAutoscaler
        {
            Metadata = new ObjectMeta { Name = name },
            Spec = new ThreadPoolAutoscalerSpec
            {
                TargetRef = new TargetReference { Name = "web" },
                Prometheus = new PrometheusSource { Url = "http://prometheus:9090" },
                Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "web-admin" } },
            },
        }, Cancel);
        created.Status = new ThreadPoolAutoscalerStatus
        {
            ObservedGeneration = created.Metadata.Generation,
            DesiredReplicas = 3,
            Conditions =
            [
                new Condition { Type = "Ready", Status = "True", Reason = "Evaluated", Message = "ok", LastTransitionTime = DateTimeOffset.UtcNow },
            ],
        };

        var updated = await client.ReplaceStatusAsync(KubeResource.ThreadPoolAutoscalers, Namespace, name, created, Cancel);

        Assert.Equal(3, updated.Status?.DesiredReplicas);
        Assert.Equal(created.Metadata.Generation, updated.Metadata.Generation);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);
        created.Status.DesiredReplicas = 4;
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => client.ReplaceStatusAsync(KubeResource.ThreadPoolAutoscalers, Namespace, name, created, Cancel));
        Assert.Equal("Conflict", conflict.Status?.Reason);
    }

    [Fact]
    public async Task Leader_election_acquires_refuses_and_hands_over_a_real_Lease()
    {
        var client = Client;
        var lease = UniqueName("operator");
        var a = new LeaderElector(client, new LeaderElectionOptions { Namespace = Namespace, LeaseName = lease, Identity = "a" });
        var b = new LeaderElector(client, new LeaderElectionOptions { Namespace = Namespace, LeaseName = lease, Identity = "b" });

        // The real decoder accepts the MicroTime acquireTime/renewTime only in its exact format.
        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));
        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        await a.ReleaseAsync();
        Assert.True(await b.TryAcquireOrRenewAsync(Cancel));

        var held = (await client.GetAsync<Lease>(KubeResource.Leases, Namespace, lease, Cancel))!;
        Assert.Equal(("b", 15, 1), (held.Spec.HolderIdentity, held.Spec.LeaseDurationSeconds, held.Spec.LeaseTransitions));
        // Replacing twice from the same read: the second carries a resourceVersion that is no longer current.
        await client.ReplaceAsync(KubeResource.Leases, Namespace, lease, held, Cancel);
        await Assert.ThrowsAsync<ConflictException>(() => client.ReplaceAsync(KubeResource.Leases, Namespace, lease, held, Cancel));
    }

    [Fact]
    public async Task Events_are_created_and_aggregated()
    {
        var client = Client;
        var involved = new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = UniqueName("web"), Namespace = Namespace };
        var recorder = new EventRecorder(client, "platform-operator", "envtest");

        await recorder.RecordAsync(involved, EventRecorder.Normal, "ScaledUp", "Scaled from 1 to 2 replicas", Cancel);
        await recorder.RecordAsync(involved, EventRecorder.Normal, "ScaledUp", "Scaled from 1 to 2 replicas", Cancel);

        var events = await client.ListAsync<Event>(KubeResource.Events, Namespace, cancellationToken: Cancel);
        var recorded = Assert.Single(events.Items, e => e.InvolvedObject.Name == involved.Name);
        Assert.Equal((2, "ScaledUp"), (recorded.Count, recorded.Reason));
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static JsonObject DeploymentJson(string name, int replicas) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = name } },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "registry.k8s.io/pause:3.10" }),
                },
            },
        },
    };
}
