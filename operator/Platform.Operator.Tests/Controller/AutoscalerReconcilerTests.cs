using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Tests.Local;

namespace Platform.Operator.Tests.Controller;

/// <summary>
/// One evaluation at a time, against the fake API server, a real API process as the pod and (where signals
/// matter) a real Prometheus. Problems must become conditions and events, never actions.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class AutoscalerReconcilerTests
{
    private static Condition Condition(ThreadPoolAutoscaler autoscaler, string type) =>
        Assert.Single(autoscaler.Status!.Conditions!, c => c.Type == type);

    [Fact]
    public async Task An_invalid_spec_is_a_condition_and_a_warning_event_and_changes_nothing()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        var autoscaler = cluster.Autoscaler(spec => spec.Replicas = new ReplicaPolicy { Min = 5, Max = 2 });
        var minThreadsBefore = await cluster.ApiMinWorkerThreadsAsync();

        await cluster.Reconciler.ReconcileAsync(autoscaler, TestContext.Current.CancellationToken);

        var stored = cluster.Read();
        Assert.Equal("False", Condition(stored, ConditionTypes.SpecValid).Status);
        Assert.Contains("spec.replicas.min", Condition(stored, ConditionTypes.SpecValid).Message);
        Assert.Equal(ControllerReasons.InvalidSpec, Condition(stored, ConditionTypes.Ready).Reason);
        Assert.Equal(stored.Metadata.Generation, stored.Status!.ObservedGeneration);
        Assert.Contains(cluster.Events(), e => e.Reason == ControllerReasons.InvalidSpec && e.Type == "Warning");
        Assert.False(cluster.ScaleWasPatched());
        Assert.Equal(minThreadsBefore, await cluster.ApiMinWorkerThreadsAsync());
    }

    [Fact]
    public async Task A_missing_target_is_reported_not_acted_on()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        var autoscaler = cluster.Autoscaler(spec => spec.TargetRef.Name = "no-such-deployment");

        await cluster.Reconciler.ReconcileAsync(autoscaler, TestContext.Current.CancellationToken);

        var stored = cluster.Read();
        Assert.Equal(ControllerReasons.TargetNotFound, Condition(stored, ConditionTypes.Ready).Reason);
        Assert.Contains(cluster.Events(), e => e.Reason == ControllerReasons.TargetNotFound);
    }

    [Fact]
    public async Task An_hpa_on_the_same_deployment_makes_the_operator_refuse()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Server.Put(KubeResource.HorizontalPodAutoscalers, new HorizontalPodAutoscaler
        {
            Metadata = new ObjectMeta { Name = "api-hpa", Namespace = ClusterFixture.Namespace },
            Spec = new ScaleTargetSpec { ScaleTargetRef = new CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = ClusterFixture.Deployment } },
        });
        var autoscaler = cluster.Autoscaler();

        await cluster.Reconciler.ReconcileAsync(autoscaler, TestContext.Current.CancellationToken);

        var stored = cluster.Read();
        var active = Condition(stored, ConditionTypes.ScalingActive);
        Assert.Equal("False", active.Status);
        Assert.Equal(ControllerReasons.ConflictingAutoscaler, active.Reason);
        Assert.Contains("api-hpa", active.Message);
        Assert.Contains(cluster.Events(), e => e.Reason == ControllerReasons.ConflictingAutoscaler && e.Type == "Warning");
        Assert.False(cluster.ScaleWasPatched());
    }

    [Fact]
    public async Task Without_prometheus_every_decision_holds_and_says_why()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        var autoscaler = cluster.Autoscaler();

        await cluster.Reconciler.ReconcileAsync(autoscaler, TestContext.Current.CancellationToken);

        var stored = cluster.Read();
        var metrics = Condition(stored, ConditionTypes.MetricsAvailable);
        Assert.Equal("False", metrics.Status);
        Assert.Equal(ControllerReasons.PrometheusUnavailable, metrics.Reason);
        Assert.Equal(1, stored.Status!.DesiredReplicas);
        Assert.Equal(2, stored.Status.DesiredMinThreads);
        Assert.False(cluster.ScaleWasPatched());
    }

    [Fact]
    public async Task Starvation_raises_min_threads_in_the_pod_adds_no_pods_and_is_explained()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: true);
        var autoscaler = cluster.Autoscaler();
        var cancel = TestContext.Current.CancellationToken;

        await using (new BlockingLoad(cluster.Api.Client, "/io/delay/sync?ms=500", 60))
        {
            // Evaluate every 5 s until the pod reports a raised min threads (bounded).
            for (var i = 0; i < 12 && (cluster.Read().Status?.PodsAtDesiredMinThreads is not 1 || cluster.Read().Status?.DesiredMinThreads <= 2); i++)
            {
                await Task.Delay(5000, cancel);
                await cluster.Reconciler.ReconcileAsync(cluster.Read(), cancel);
            }
        }

        var stored = cluster.Read();
        Assert.True(stored.Status!.DesiredMinThreads > 2, $"desired min threads {stored.Status.DesiredMinThreads}");
        Assert.Equal(stored.Status.DesiredMinThreads, await cluster.ApiMinWorkerThreadsAsync());
        Assert.Equal(1, stored.Status.PodsAtDesiredMinThreads);
        Assert.Equal(stored.Status.DesiredMinThreads, Assert.Single(stored.Status.Pods!).MinWorkerThreads);
        Assert.Equal(1, cluster.DeploymentReplicas());
        Assert.False(cluster.ScaleWasPatched());
        Assert.Contains(cluster.Events(), e => e.Reason == DecisionReasons.Starvation && e.Message!.StartsWith("Min threads:", StringComparison.Ordinal));
        Assert.Equal("True", Condition(stored, ConditionTypes.MetricsAvailable).Status);
    }

    [Fact]
    public async Task Saturation_scales_the_deployment_out_and_leaves_min_threads_alone()
    {
        // A 10m CPU request makes the API's own CPU use (under a little CPU work) far above target.
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: true, cpuRequest: "10m");
        var autoscaler = cluster.Autoscaler();
        var cancel = TestContext.Current.CancellationToken;

        await using (new BlockingLoad(cluster.Api.Client, "/cpu/sync?iterations=2000000", 2))
        {
            for (var i = 0; i < 12 && !cluster.ScaleWasPatched(); i++)
            {
                await Task.Delay(5000, cancel);
                await cluster.Reconciler.ReconcileAsync(cluster.Read(), cancel);
            }
        }

        var stored = cluster.Read();
        Assert.True(cluster.ScaleWasPatched(), "the deployment should have been scaled");
        // One evaluation adds at most max(100 %, 4 pods): from 1 that is 5.
        Assert.InRange(cluster.DeploymentReplicas(), 2, 5);
        Assert.Equal(cluster.DeploymentReplicas(), stored.Status!.DesiredReplicas);
        Assert.NotNull(stored.Status.LastScaleTime);
        Assert.Equal(2, await cluster.ApiMinWorkerThreadsAsync());
        // From 1 pod the HPA-style limit caps the step at 5, so the reason may name the limit instead.
        Assert.Contains(cluster.Events(), e => e.Reason is DecisionReasons.Saturation or DecisionReasons.ScaleUpLimited
            && e.Message!.StartsWith("New size:", StringComparison.Ordinal) && e.Message.Contains("CPU", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Observe_mode_decides_and_reports_but_changes_nothing()
    {
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: true);
        var autoscaler = cluster.Autoscaler(spec => spec.Mode = AutoscalerMode.Observe);
        var cancel = TestContext.Current.CancellationToken;

        await using (new BlockingLoad(cluster.Api.Client, "/io/delay/sync?ms=500", 60))
        {
            for (var i = 0; i < 8 && cluster.Read().Status?.LastDecision?.Reason != DecisionReasons.Starvation; i++)
            {
                await Task.Delay(5000, cancel);
                await cluster.Reconciler.ReconcileAsync(cluster.Read(), cancel);
            }
        }

        var stored = cluster.Read();
        Assert.Equal(DecisionReasons.Starvation, stored.Status!.LastDecision!.Reason);
        Assert.Equal("Raise", stored.Status.LastDecision.MinThreadsAction);
        Assert.Equal(ControllerReasons.ObserveMode, Condition(stored, ConditionTypes.ScalingActive).Reason);
        Assert.Equal(2, await cluster.ApiMinWorkerThreadsAsync());
        Assert.False(cluster.ScaleWasPatched());
    }
}
