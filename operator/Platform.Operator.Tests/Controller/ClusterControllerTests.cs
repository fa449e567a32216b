using Microsoft.Extensions.Logging.Abstractions;
using Platform.Operator.Controller;
using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Tests.Controller;

/// <summary>The watch-driven loop: leader election, evaluation on the spec's interval, no hot loop on its own writes.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ClusterControllerTests
{
    [Fact]
    public async Task The_leader_evaluates_each_autoscaler_on_its_interval_and_its_own_status_writes_do_not_wake_it()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();
        var config = cluster.Server.Config();
        var controller = new ClusterController(cluster.Client, cluster.Reconciler, cluster.Metrics,
            new ClusterSettings(null, ClusterFixture.Namespace, ClusterFixture.Namespace, "platform-operator"),
            new KubernetesClientConfig { Server = config.Server, BearerToken = config.BearerToken, Namespace = ClusterFixture.Namespace },
            TimeProvider.System, NullLoggerFactory.Instance, NullLogger<ClusterController>.Instance);

        await controller.StartAsync(TestContext.Current.CancellationToken);
        // A fresh candidate waits up to one lease duration (15 s) before it may lead.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (cluster.Read().Status?.ObservedGeneration is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        var firstWrite = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(12), TestContext.Current.CancellationToken);
        await controller.StopAsync(TestContext.Current.CancellationToken);

        var stored = cluster.Read();
        Assert.Equal(stored.Metadata.Generation, stored.Status!.ObservedGeneration);
        var statusWrites = cluster.Server.Requests.Count(r => r.Method == "PUT" && r.Path.EndsWith("/status", StringComparison.Ordinal));
        // Interval 5 s over ~12 s after the first write: about 3 writes; a hot loop would make hundreds.
        Assert.InRange(statusWrites, 2, 5);
        Assert.NotNull(cluster.Server.Get(KubeResource.Leases, ClusterFixture.Namespace, "platform-operator"));
        Assert.True(firstWrite < deadline);
    }
}
