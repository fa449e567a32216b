using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Hosting;
using Platform.Operator.Local;
using Platform.Testing;

namespace Platform.Operator.Tests.Local;

/// <summary>
/// The closed loop without a cluster: the real API on loopback under a sustained blocking burst, a real
/// Prometheus scraping it (or none: the replica loop reads the same control-port scrapes), and the operator
/// in local mode pointed at the API's control listener. The operator must raise min threads through the
/// control port within seconds, add no replicas for it, and the scheduling delay must fall.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class LocalModeEndToEndTests
{
    private const int Concurrency = 80;

    private static ThreadPoolAutoscalerSpec Spec() => new()
    {
        TargetRef = new TargetReference { Name = "local" },
        Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "local" } },
        EvaluationIntervalSeconds = 5,
        Prometheus = new PrometheusSource { WindowSeconds = 10, MaxStalenessSeconds = 15 },
        MinThreads = new MinThreadsPolicy { Baseline = 2, Max = 200 },
        PodSignals = new PodSignalSource { IntervalMilliseconds = 1000 },
        Starvation = new StarvationPolicy { SchedulingDelayThresholdMilliseconds = 50, QueueLengthThreshold = 10 },
    };

    [Fact]
    public async Task With_prometheus_a_blocking_burst_gets_more_threads_no_pods_and_the_delay_falls()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Targets = [new ScrapeTarget("api", api.ControlAddress)],
            ScrapeInterval = TimeSpan.FromSeconds(1),
        }, cancel);
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), cancel);

        var outcome = await RunClosedLoopAsync(api, prometheus.BaseAddress, cancel);

        // The server's own view, through Prometheus: p90 scheduling delay over the last 5 s, after the fix.
        var recovered = await prometheus.WaitForResultAsync(
            "histogram_quantile(0.9, sum by (le) (rate(platform_thread_pool_scheduling_delay_seconds_bucket[5s])))",
            r => r.IsSuccess && r.Samples.Count == 1 && r.Samples[0].Value < 0.05, TimeSpan.FromSeconds(30), cancel);
        TestContext.Current.TestOutputHelper?.WriteLine($"peak p90 during starvation {outcome.PeakDelayP90 * 1000:F0} ms; after the fix {recovered.Samples[0].Value * 1000:F1} ms");
        Assert.True(outcome.PeakDelayP90 > 0.05, $"the burst should have starved the pool first (peak p90 {outcome.PeakDelayP90 * 1000:F0} ms)");
    }

    [Fact]
    public async Task Without_prometheus_the_operator_scrapes_the_target_and_closes_the_loop()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();

        var outcome = await RunClosedLoopAsync(api, prometheus: null, cancel);

        Assert.True(outcome.PeakDelayP90 > 0.05, $"peak p90 {outcome.PeakDelayP90 * 1000:F0} ms");
    }

    private sealed record LoopOutcome(double PeakDelayP90);

    private static async Task<LoopOutcome> RunClosedLoopAsync(ApiProcess api, Uri? prometheus, CancellationToken cancel)
    {
        var port = FreeTcpPort.Next();
        var spec = Spec();
        var policy = SpecValidator.Validate(spec).Policy!;
        var settings = OperatorSettings.ForLocal((new LocalOptions([api.ControlBaseAddress], prometheus, spec, ApiProcess.AdminToken), policy), $"http://127.0.0.1:{port}");
        await using var operatorHost = OperatorHost.Build(settings);
        await operatorHost.StartAsync(cancel);
        using var operatorClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        double peakDelay = 0;
        LocalStatus? status = null;
        TimeSpan? fixedAfter = null;
        var started = DateTime.UtcNow;
        await using (var load = new BlockingLoad(api.Client, "/io/delay/sync?ms=500", Concurrency))
        {
            // Wait (bounded) until the operator has raised min threads far enough for the burst and the API applied it.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000, cancel);
                var response = await operatorClient.GetAsync("status", cancel);
                if (response.StatusCode != System.Net.HttpStatusCode.OK)
                {
                    continue;
                }
                status = await response.Content.ReadFromJsonAsync<LocalStatus>(KubernetesJson, cancel);
                peakDelay = Math.Max(peakDelay, status!.LastMinThreadsDecision?.Signals.SchedulingDelaySeconds ?? 0);
                if (status.DesiredMinThreads >= Concurrency && status.PodsAtDesiredMinThreads == 1)
                {
                    fixedAfter = DateTime.UtcNow - started;
                    break;
                }
            }
            // Keep the load on a little longer, so the recovery is measured under the same burst.
            await Task.Delay(6000, cancel);
            Assert.True(load.Completed > Concurrency, "the load should have completed requests");
        }

        // Every series of the contract, once each loop has reported: the replica loop's CPU input needs two CPU
        // readings, so it can appear a few seconds after a fix that took one second. Bounded: 30 s.
        var contractMetrics = MetricsContract.Metrics.Where(m => m.Present == "operator").Select(m => m.Name).ToList();
        var operatorMetrics = MetricsText.Parse(await operatorClient.GetStringAsync("metrics", cancel));
        for (var deadline = DateTime.UtcNow.AddSeconds(30);
             contractMetrics.Any(name => !operatorMetrics.Types.ContainsKey(name)) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(500, cancel);
            operatorMetrics = MetricsText.Parse(await operatorClient.GetStringAsync("metrics", cancel));
        }

        // Stop the loop, then compare its last word with what the API holds: no evaluation can slip in between.
        await operatorHost.StopAsync(cancel);
        status = operatorHost.Services.GetRequiredService<LocalAutoscaler>().Status;
        Assert.NotNull(status);
        Assert.True(status.DesiredMinThreads >= Concurrency, $"desired min threads {status.DesiredMinThreads}");
        var pool = await api.Client.SendAsync(api.AdminRequest(HttpMethod.Get, "/admin/threadpool"), cancel);
        var applied = await pool.Content.ReadFromJsonAsync<Dictionary<string, double>>(cancel);
        Assert.Equal(status.DesiredMinThreads, (int)applied!["minWorkerThreads"]);

        TestContext.Current.TestOutputHelper?.WriteLine($"min threads {status.DesiredMinThreads} applied {fixedAfter?.TotalSeconds:0.0} s after the load began");
        Assert.True(fixedAfter < TimeSpan.FromSeconds(20), $"the fix took {fixedAfter?.TotalSeconds:0.0} s");
        Assert.InRange(status.DesiredMinThreads!.Value, Concurrency, 2 * Concurrency);
        Assert.True(operatorMetrics.Sum("platform_operator_decisions_total", l => l["loop"] == "min_threads" && l["min_threads_action"] == "raise" && l["reason"] == DecisionReasons.Starvation) >= 1);
        Assert.Equal(0, operatorMetrics.Sum("platform_operator_decisions_total", l => l["replica_action"] == "scale_up"));
        Assert.True(operatorMetrics.Single("platform_operator_desired_min_threads") >= Concurrency);
        foreach (var row in MetricsContract.Metrics.Where(m => m.Present == "operator"))
        {
            Assert.True(operatorMetrics.Types.TryGetValue(row.Name, out var type), $"{row.Name} is not served by the operator");
            Assert.Equal(row.Type, type);
        }
        return new LoopOutcome(peakDelay);
    }

    private static readonly System.Text.Json.JsonSerializerOptions KubernetesJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
