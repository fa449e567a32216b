using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Decisions;
using Platform.Operator.Telemetry;
using Platform.Operator.Tests.Local;
using Platform.Testing;
using static Platform.Operator.Tests.Controller.AutoscalerReconcilerTests;

namespace Platform.Operator.Tests.Controller;

/// <summary>
/// The min-threads loop in a cluster, tick by tick, against the fake API server and a real API process whose
/// control port plays the pod's: it sizes min threads within seconds, reaches pods that are not Ready, adopts
/// what the pods hold after a restart, re-applies to a restarted pod, and never pushes on missing data.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class MinThreadsReconcilerTests
{
    private const int Concurrency = 60;

    /// <summary>Replica loop once (it finds target, pods and token), then min-threads ticks every second until done or the bound.</summary>
    private static async Task TickUntilAsync(ClusterFixture cluster, Func<Task<bool>> done, TimeSpan bound, CancellationToken cancel)
    {
        await cluster.ReconcileAsync(cancel);
        var deadline = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < deadline && !await done())
        {
            await cluster.TickAsync(cancel);
            await Task.Delay(1000, cancel);
        }
    }

    [Fact]
    public async Task Starvation_gets_sized_min_threads_within_seconds_and_no_pods()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();

        var started = DateTime.UtcNow;
        await using (new BlockingLoad(cluster.Api.Client, "/io/delay/sync?ms=500", Concurrency))
        {
            await TickUntilAsync(cluster, async () => await cluster.ApiMinWorkerThreadsAsync() >= Concurrency, TimeSpan.FromSeconds(30), cancel);
        }
        var fixedAfter = DateTime.UtcNow - started;

        var stored = cluster.Read();
        var status = stored.Status!;
        var lastDecision = status.LastDecision!;
        var applied = await cluster.ApiMinWorkerThreadsAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"min threads {applied} after {fixedAfter.TotalSeconds:0.0} s; {lastDecision.Message}");
        Assert.True(applied >= Concurrency, $"the pod holds {applied} min threads; {Concurrency} requests block at once");
        // Sized, not stepped: at most twice what the burst can use (and never the spec's max of 200).
        Assert.InRange(applied, Concurrency, 2 * Concurrency);
        Assert.Equal(applied, status.DesiredMinThreads);
        Assert.Equal(applied, Assert.Single(status.Pods!).MinWorkerThreads);
        Assert.Equal(OperatorMetrics.MinThreadsLoop, lastDecision.Loop);
        Assert.Equal(1, cluster.DeploymentReplicas());
        Assert.False(cluster.ScaleWasPatched());
        Assert.Contains(cluster.Events(), e => e.Reason == DecisionReasons.Starvation && e.Message!.StartsWith("Min threads:", StringComparison.Ordinal));
        Assert.Equal("True", Condition(stored, ConditionTypes.PodSignalsAvailable).Status);
    }

    [Fact]
    public async Task A_pod_that_fails_readiness_still_gets_its_threads()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.PutPod(ready: false);
        cluster.Autoscaler();

        await using (new BlockingLoad(cluster.Api.Client, "/io/delay/sync?ms=500", Concurrency))
        {
            await TickUntilAsync(cluster, async () => await cluster.ApiMinWorkerThreadsAsync() >= Concurrency, TimeSpan.FromSeconds(30), cancel);
        }

        Assert.True(await cluster.ApiMinWorkerThreadsAsync() >= Concurrency);
        Assert.Equal(0, cluster.Read().Status!.ReadyPods);
    }

    [Fact]
    public async Task A_restarted_operator_adopts_what_the_pods_hold_instead_of_resetting_them()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();
        await cluster.SetApiMinWorkerThreadsAsync(77);
        var changesBefore = await cluster.AdminChangesAsync();

        // A fresh memory is a fresh operator process.
        cluster.Memory = new AutoscalerMemory($"{ClusterFixture.Namespace}/api");
        await cluster.ReconcileAsync(cancel);
        for (var i = 0; i < 3; i++)
        {
            await cluster.TickAsync(cancel);
            await Task.Delay(1000, cancel);
        }

        Assert.Equal(77, cluster.Memory.MinThreads.Desired);
        Assert.Equal(77, await cluster.ApiMinWorkerThreadsAsync());
        Assert.Equal(changesBefore, await cluster.AdminChangesAsync());
        Assert.Equal(77, cluster.Read().Status!.DesiredMinThreads);
    }

    [Fact]
    public async Task A_pod_that_restarted_gets_the_desired_value_on_its_first_reading()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();
        await cluster.SetApiMinWorkerThreadsAsync(40);
        await cluster.ReconcileAsync(cancel);
        // A pod's first reading has no rates yet; the second one is judged, and the loop adopts 40.
        await cluster.TickAsync(cancel);
        await Task.Delay(1000, cancel);
        await cluster.TickAsync(cancel);
        Assert.Equal(40, cluster.Memory.MinThreads.Desired);

        // The container restarted: the runtime default again.
        await cluster.SetApiMinWorkerThreadsAsync(2);
        await cluster.TickAsync(cancel);

        Assert.Equal(40, await cluster.ApiMinWorkerThreadsAsync());
        Assert.Equal(40, cluster.Memory.MinThreads.Desired);
    }

    [Fact]
    public async Task Without_a_reading_from_any_pod_nothing_is_pushed()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        // The pod's control port is wrong: every read fails.
        cluster.Autoscaler(spec => spec.PodSignals.Port = Platform.Testing.FreeTcpPort.Next());
        var changesBefore = await cluster.AdminChangesAsync();

        await cluster.ReconcileAsync(cancel);
        await cluster.TickAsync(cancel);
        await Task.Delay(1000, cancel);
        await cluster.TickAsync(cancel);

        var decision = cluster.Memory.MinThreads.Latest!;
        Assert.True(decision.Holds, decision.Message);
        Assert.Null(cluster.Memory.MinThreads.Desired);
        Assert.Equal(changesBefore, await cluster.AdminChangesAsync());
        Assert.Equal("False", Condition(cluster.Read(), ConditionTypes.PodSignalsAvailable).Status);
    }

    [Fact]
    public async Task Observe_mode_decides_and_reports_but_changes_nothing()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler(spec => spec.Mode = AutoscalerMode.Observe);
        var before = await cluster.ApiMinWorkerThreadsAsync();

        await using (new BlockingLoad(cluster.Api.Client, "/io/delay/sync?ms=500", Concurrency))
        {
            await TickUntilAsync(cluster, () => Task.FromResult(cluster.Memory.MinThreads.LastNewsworthy?.Reason == DecisionReasons.Starvation),
                TimeSpan.FromSeconds(20), cancel);
        }

        var stored = cluster.Read();
        Assert.Equal(DecisionReasons.Starvation, stored.Status!.LastDecision!.Reason);
        Assert.Equal("Raise", stored.Status.LastDecision.MinThreadsAction);
        Assert.Equal(ControllerReasons.ObserveMode, Condition(stored, ConditionTypes.ScalingActive).Reason);
        Assert.Equal(before, await cluster.ApiMinWorkerThreadsAsync());
        Assert.False(cluster.ScaleWasPatched());
    }
}
