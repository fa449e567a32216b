using Platform.Operator.Actuators;
using Platform.Operator.Signals;
using Platform.Testing;

namespace Platform.Operator.Tests.Actuators;

/// <summary>The actuator against the real API's admin endpoint on its control listener, where the operator calls it.</summary>
public sealed class MinThreadsActuatorTests
{
    private static PodTarget Target(ApiProcess api) => new("pod-a", api.ControlBaseAddress, "instance", api.ControlAddress, null);

    [Fact]
    public async Task A_push_sets_min_threads_and_reports_what_the_pod_applied()
    {
        await using var api = await ApiProcess.StartAsync();
        using var http = new HttpClient();

        var result = await new MinThreadsActuator(http).PushAsync(Target(api), 37, ApiProcess.AdminToken, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(37, result.Applied);
        var metrics = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
        Assert.Equal(37, metrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker"));
    }

    [Fact]
    public async Task A_refusal_reports_the_value_the_runtime_forces()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "5" });
        using var http = new HttpClient();

        var result = await new MinThreadsActuator(http).PushAsync(Target(api), 64, ApiProcess.AdminToken, TestContext.Current.CancellationToken);

        Assert.True(result.Refused);
        Assert.Equal(5, result.Applied);
    }

    [Fact]
    public async Task A_wrong_token_or_an_unreachable_pod_is_an_error_not_an_exception()
    {
        await using var api = await ApiProcess.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var actuator = new MinThreadsActuator(http);

        var unauthorized = await actuator.PushAsync(Target(api), 10, "not-the-token-at-all", TestContext.Current.CancellationToken);
        var unreachable = await actuator.PushAsync(new PodTarget("gone", new Uri($"http://127.0.0.1:{FreeTcpPort.Next()}/"), "instance", "x", null), 10, ApiProcess.AdminToken, TestContext.Current.CancellationToken);

        Assert.Contains("401", unauthorized.Error);
        Assert.Null(unauthorized.Applied);
        Assert.NotNull(unreachable.Error);
    }

    [Fact]
    public async Task A_rollout_pushes_only_to_pods_that_report_a_different_value()
    {
        await using var first = await ApiProcess.StartAsync();
        await using var second = await ApiProcess.StartAsync();
        using var http = new HttpClient();
        var rollout = new MinThreadsRollout(new MinThreadsActuator(http));
        var pods = new[] { Target(first) with { Name = "first" }, Target(second) with { Name = "second" } };

        // "first" claims to be at 40 already (it is not): the rollout trusts reports and skips it.
        var results = await rollout.ConvergeAsync(pods, new Dictionary<string, int?> { ["first"] = 40, ["second"] = 2 }, 40, ApiProcess.AdminToken, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.Equal(40, r.Applied));
        var firstMetrics = MetricsText.Parse(await first.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
        var secondMetrics = MetricsText.Parse(await second.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
        Assert.NotEqual(40, firstMetrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker"));
        Assert.Equal(40, secondMetrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker"));
    }
}
