using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Platform.Operator.Api;
using Platform.Operator.Kubernetes;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>
/// The operator's calls against a real kube-apiserver + etcd (see <see cref="EnvtestCluster"/>): what the fake server
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
    public async Task Deployments_are_read_and_scaled_through_the_scale_subresource()
    {
        var client = Client;
        var name = UniqueName("web");
        await cluster.Kubernetes.AppsV1.CreateNamespacedDeploymentAsync(NewDeployment(name, replicas: 1), Namespace, cancellationToken: Cancel);

        var deployment = await client.GetDeploymentAsync(Namespace, name, Cancel);
        Assert.Equal((1, 1L), (deployment?.Spec.Replicas, deployment?.Metadata.Generation));
        Assert.Null(await client.GetDeploymentAsync(Namespace, UniqueName("absent"), Cancel));

        var scale = await client.PatchDeploymentScaleAsync(Namespace, name, 3, Cancel);

        Assert.Equal(3, scale.Spec.Replicas);
        var scaled = await client.GetDeploymentAsync(Namespace, name, Cancel);
        Assert.Equal((3, 2L), (scaled?.Spec.Replicas, scaled?.Metadata.Generation));
    }

    [Fact]
    public async Task The_watcher_sees_autoscalers_added_and_modified()
    {
        var client = Client;
        var name = UniqueName("watched");
        var changes = new ConcurrentQueue<(ResourceChangeType, string)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var watcher = new ResourceWatcher<ThreadPoolAutoscaler>(ThreadPoolAutoscaler.Plural,
            cancellationToken => client.ListAutoscalersAsync(Namespace, cancellationToken),
            (resourceVersion, cancellationToken) => client.WatchAutoscalersAsync(Namespace, resourceVersion, cancellationToken),
            c => changes.Enqueue((c.Type, c.Key)));
        var running = watcher.RunAsync(stop.Token);
        await watcher.Synced.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Null(watcher.Get(Namespace, name));

        var created = await CreateAutoscalerAsync(name);
        await WaitUntilAsync(() => watcher.Get(Namespace, name) is not null, "the watcher sees the autoscaler");
        created.Spec.EvaluationIntervalSeconds = 30;
        await cluster.Kubernetes.CustomObjects.ReplaceNamespacedCustomObjectAsync<ThreadPoolAutoscaler>(created,
            ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, Namespace, ThreadPoolAutoscaler.Plural, name, cancellationToken: Cancel);
        await WaitUntilAsync(() => watcher.Get(Namespace, name)?.Spec.EvaluationIntervalSeconds == 30, "the watcher sees the new interval");

        Assert.Contains((ResourceChangeType.Added, $"{Namespace}/{name}"), changes);
        Assert.Contains((ResourceChangeType.Modified, $"{Namespace}/{name}"), changes);
        Assert.Equal(2, watcher.Get(Namespace, name)!.Metadata.Generation);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
    }

    [Fact]
    public async Task The_custom_resources_status_is_replaced_and_a_stale_write_conflicts()
    {
        var client = Client;
        var name = UniqueName("tpa");
        var created = await CreateAutoscalerAsync(name);
        created.Status = new ThreadPoolAutoscalerStatus
        {
            ObservedGeneration = created.Metadata.Generation,
            DesiredReplicas = 3,
            Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Evaluated", Message = "ok", LastTransitionTime = DateTime.UtcNow }],
        };

        var updated = await client.ReplaceAutoscalerStatusAsync(created, Cancel);

        Assert.Equal(3, updated.Status?.DesiredReplicas);
        Assert.Equal(created.Metadata.Generation, updated.Metadata.Generation);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);
        Assert.Equal(3, (await client.GetAutoscalerAsync(Namespace, name, Cancel))?.Status?.DesiredReplicas);
        created.Status.DesiredReplicas = 4;
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => client.ReplaceAutoscalerStatusAsync(created, Cancel));
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

        var held = (await client.GetLeaseAsync(Namespace, lease, Cancel))!;
        Assert.Equal(("b", 15, 1), (held.Spec.HolderIdentity, held.Spec.LeaseDurationSeconds, held.Spec.LeaseTransitions));
        // Replacing twice from the same read: the second carries a resourceVersion that is no longer current.
        await client.ReplaceLeaseAsync(held, Cancel);
        await Assert.ThrowsAsync<ConflictException>(() => client.ReplaceLeaseAsync(held, Cancel));
        await Assert.ThrowsAsync<AlreadyExistsException>(() => client.CreateLeaseAsync(
            new V1Lease { Metadata = new V1ObjectMeta { Name = lease, NamespaceProperty = Namespace }, Spec = new V1LeaseSpec() }, Cancel));
    }

    [Fact]
    public async Task Events_are_created_and_aggregated()
    {
        var client = Client;
        var involved = new V1ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = UniqueName("web"), NamespaceProperty = Namespace };
        var recorder = new EventRecorder(client, "platform-operator", "envtest");

        await recorder.RecordAsync(involved, EventRecorder.Normal, "ScaledUp", "Scaled from 1 to 2 replicas", Cancel);
        await recorder.RecordAsync(involved, EventRecorder.Normal, "ScaledUp", "Scaled from 1 to 2 replicas", Cancel);

        var events = await cluster.Kubernetes.CoreV1.ListNamespacedEventAsync(Namespace, cancellationToken: Cancel);
        var recorded = Assert.Single(events.Items, e => e.InvolvedObject.Name == involved.Name);
        Assert.Equal((2, "ScaledUp"), (recorded.Count, recorded.Reason));
    }

    private async Task<ThreadPoolAutoscaler> CreateAutoscalerAsync(string name) =>
        await cluster.Kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync<ThreadPoolAutoscaler>(new ThreadPoolAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new ThreadPoolAutoscalerSpec
            {
                TargetRef = new TargetReference { Name = "web" },
                Prometheus = new PrometheusSource { Url = "http://prometheus:9090" },
                Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "web-admin" } },
            },
        }, ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, Namespace, ThreadPoolAutoscaler.Plural, cancellationToken: Cancel);

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static V1Deployment NewDeployment(string name, int replicas)
    {
        var labels = new Dictionary<string, string> { ["app"] = name };
        return new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "registry.k8s.io/pause:3.10" }] },
                },
            },
        };
    }
}
