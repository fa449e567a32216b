using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Tests.Kubernetes;
using Platform.Operator.Tests.Local;
using Platform.Testing;
using k8s.Models;

namespace Platform.Operator.Tests.Controller;

/// <summary>
/// The replica loop, one evaluation at a time, against the fake API server, a real API process as the pod
/// and (where signals matter) a real Prometheus. Problems must become conditions and events, never actions.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class AutoscalerReconcilerTests
{
    internal static V1Condition Condition(ThreadPoolAutoscaler autoscaler, string type) =>
        Assert.Single(autoscaler.Status!.Conditions!, c => c.Type == type);

    [Fact]
    public async Task An_invalid_spec_is_a_condition_and_a_warning_event_and_changes_nothing()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler(spec => spec.Replicas = new ReplicaPolicy { Min = 5, Max = 2 });
        var minThreadsBefore = await cluster.ApiMinWorkerThreadsAsync();

        await cluster.ReconcileAsync(cancel);
        await cluster.TickAsync(cancel);

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
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler(spec => spec.TargetRef.Name = "no-such-deployment");

        await cluster.ReconcileAsync(cancel);
        await cluster.TickAsync(cancel);

        var stored = cluster.Read();
        Assert.Equal(ControllerReasons.TargetNotFound, Condition(stored, ConditionTypes.Ready).Reason);
        Assert.Contains(cluster.Events(), e => e.Reason == ControllerReasons.TargetNotFound);
        Assert.Null(stored.Status!.DesiredMinThreads);
    }

    [Fact]
    public async Task An_hpa_on_the_same_deployment_makes_the_operator_refuse_both_knobs()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Server.Put(ApiResource.HorizontalPodAutoscalers, new V2HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = "api-hpa", NamespaceProperty = ClusterFixture.Namespace },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = ClusterFixture.Deployment },
                MaxReplicas = 5,
            },
        });
        cluster.Autoscaler();
        var changesBefore = await cluster.AdminChangesAsync();

        await cluster.ReconcileAsync(cancel);
        await cluster.TickAsync(cancel);

        var stored = cluster.Read();
        var active = Condition(stored, ConditionTypes.ScalingActive);
        Assert.Equal("False", active.Status);
        Assert.Equal(ControllerReasons.ConflictingAutoscaler, active.Reason);
        Assert.Contains("api-hpa", active.Message);
        Assert.Contains(cluster.Events(), e => e.Reason == ControllerReasons.ConflictingAutoscaler && e.Type == "Warning");
        Assert.False(cluster.ScaleWasPatched());
        Assert.Equal(changesBefore, await cluster.AdminChangesAsync());
    }

    [Fact]
    public async Task An_api_server_that_serves_neither_hpas_nor_keda_means_no_conflict_said_once_and_the_autoscaler_carries_on()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Server.StopServing(ApiResource.HorizontalPodAutoscalers);
        cluster.Server.StopServing(ApiResource.ScaledObjects);
        cluster.Autoscaler();

        Assert.True(await cluster.ReconcileAsync(cancel));
        Assert.True(await cluster.ReconcileAsync(cancel));
        Assert.True(await cluster.ReconcileAsync(cancel));

        // The server really answered 404 for both lists, each time.
        Assert.Equal(3, cluster.Server.Requests.Count(r => r.Method == "GET" && r.Path.Contains("/horizontalpodautoscalers", StringComparison.Ordinal)));
        var stored = cluster.Read();
        var ready = Condition(stored, ConditionTypes.Ready);
        Assert.Equal(("True", ControllerReasons.Reconciled), (ready.Status, ready.Reason));
        Assert.Equal("True", Condition(stored, ConditionTypes.ScalingActive).Status);
        var notServed = cluster.Events().Where(e => e.Reason == ControllerReasons.AutoscalerApiNotServed).ToList();
        Assert.Equal(2, notServed.Count);
        Assert.All(notServed, e => Assert.Equal(("Normal", 1), (e.Type, e.Count ?? 1)));
        Assert.Single(notServed, e => e.Message.Contains(AutoscalerReconciler.HorizontalPodAutoscalerApi, StringComparison.Ordinal));
        Assert.Single(notServed, e => e.Message.Contains(AutoscalerReconciler.ScaledObjectApi, StringComparison.Ordinal));
        Assert.DoesNotContain(cluster.Events(), e => e.Type == "Warning");
    }

    [Fact]
    public async Task Without_the_hpa_api_a_keda_scaled_object_on_the_target_is_still_a_conflict()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Server.StopServing(ApiResource.HorizontalPodAutoscalers);
        cluster.Server.Put(ApiResource.ScaledObjects, new ScaledObject
        {
            Metadata = new V1ObjectMeta { Name = "api-keda", NamespaceProperty = ClusterFixture.Namespace },
            Spec = new ScaledObjectSpec { ScaleTargetRef = new V2CrossVersionObjectReference { Name = ClusterFixture.Deployment } },
        });
        cluster.Autoscaler();

        await cluster.ReconcileAsync(cancel);

        var ready = Condition(cluster.Read(), ConditionTypes.Ready);
        Assert.Equal(("False", ControllerReasons.ConflictingAutoscaler), (ready.Status, ready.Reason));
        Assert.Contains("api-keda", ready.Message);
        Assert.Single(cluster.Events(), e => e.Reason == ControllerReasons.AutoscalerApiNotServed);
    }

    [Fact]
    public async Task An_api_that_comes_back_and_goes_again_is_said_again()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Server.StopServing(ApiResource.ScaledObjects);
        cluster.Autoscaler();

        await cluster.ReconcileAsync(cancel);
        cluster.Server.Serve(ApiResource.ScaledObjects);
        await cluster.ReconcileAsync(cancel);
        cluster.Server.StopServing(ApiResource.ScaledObjects);
        await cluster.ReconcileAsync(cancel);

        var notServed = Assert.Single(cluster.Events(), e => e.Reason == ControllerReasons.AutoscalerApiNotServed);
        // The same message within ten minutes is one aggregated Event, counted twice.
        Assert.Equal(2, notServed.Count);
    }

    [Fact]
    public async Task Without_prometheus_the_replica_decision_holds_and_says_why_while_min_threads_still_work()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();

        await cluster.ReconcileAsync(cancel);
        await cluster.TickAsync(cancel);
        await Task.Delay(1000, cancel);
        await cluster.TickAsync(cancel);

        var stored = cluster.Read();
        var metrics = Condition(stored, ConditionTypes.MetricsAvailable);
        Assert.Equal("False", metrics.Status);
        Assert.Equal(ControllerReasons.PrometheusUnavailable, metrics.Reason);
        Assert.Equal(1, stored.Status!.DesiredReplicas);
        Assert.False(cluster.ScaleWasPatched());
        // The control port answers without Prometheus: the min-threads loop adopted the pod's value.
        Assert.Equal(await cluster.ApiMinWorkerThreadsAsync(), cluster.Memory.MinThreads.Desired);
    }

    [Fact]
    public async Task Saturation_scales_the_deployment_out_and_leaves_min_threads_alone()
    {
        // A 10m CPU request makes the API's own CPU use (under a little CPU work) far above target.
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: true, cpuRequest: "10m");
        cluster.Autoscaler();
        var cancel = TestContext.Current.CancellationToken;
        var minThreadsBefore = await cluster.ApiMinWorkerThreadsAsync();

        await using (new BlockingLoad(cluster.Api.Client, "/cpu/sync?iterations=2000000", 2))
        {
            for (var i = 0; i < 12 && !cluster.ScaleWasPatched(); i++)
            {
                await Task.Delay(5000, cancel);
                await cluster.TickAsync(cancel);
                await cluster.ReconcileAsync(cancel);
            }
        }

        var stored = cluster.Read();
        Assert.True(cluster.ScaleWasPatched(), "the deployment should have been scaled");
        // One evaluation adds at most max(100 %, 4 pods): from 1 that is 5.
        Assert.InRange(cluster.DeploymentReplicas(), 2, 5);
        Assert.Equal(cluster.DeploymentReplicas(), stored.Status!.DesiredReplicas);
        Assert.NotNull(stored.Status.LastScaleTime);
        Assert.Equal(minThreadsBefore, await cluster.ApiMinWorkerThreadsAsync());
        // From 1 pod the HPA-style limit caps the step at 5, so the reason may name the limit instead.
        Assert.Contains(cluster.Events(), e => e.Reason is DecisionReasons.Saturation or DecisionReasons.ScaleUpLimited
            && e.Message!.StartsWith("New size:", StringComparison.Ordinal) && e.Message.Contains("CPU", StringComparison.Ordinal));
    }
}
