using Platform.Api.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>A real Prometheus scrapes the API on loopback; the thread-pool signals are queryable.</summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_api_and_the_thread_pool_signals_are_queryable()
    {
        if (ToolLocator.Find("prometheus") is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "prometheus is not installed (Debian package 'prometheus').");
        }
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Targets = [new ScrapeTarget("api", api.Address)],
            ScrapeInterval = TimeSpan.FromSeconds(1),
        }, cancel);
        await Traffic.ExerciseEverythingAsync(api, cancel);

        // New targets are picked up on Prometheus's 5 s discovery tick.
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), cancel);
        var target = Assert.Single(await prometheus.GetTargetsAsync(cancel));
        Assert.Equal("", target.LastError);

        string[] present =
        [
            "dotnet_thread_pool_thread_count{job=\"api\"}",
            "dotnet_thread_pool_queue_length{job=\"api\"}",
            "dotnet_thread_pool_work_item_count_total{job=\"api\"}",
            "platform_thread_pool_min_threads{job=\"api\",kind=\"worker\"}",
            "platform_thread_pool_scheduling_delay_seconds_count{job=\"api\"}",
            "platform_process_cpu_limit{job=\"api\"}",
            "http_server_request_duration_seconds_count{job=\"api\",workload=\"io-delay\",mode=\"sync\"}",
        ];
        foreach (var query in present)
        {
            var result = await prometheus.WaitForResultAsync(query, r => r.IsSuccess && r.Samples.Count > 0, TimeSpan.FromSeconds(20), cancel);
            Assert.NotEmpty(result.Samples);
        }

        // Rates and quantiles need two scrapes or more.
        var p99 = await prometheus.WaitForResultAsync(
            "histogram_quantile(0.99, sum by (le) (rate(platform_thread_pool_scheduling_delay_seconds_bucket{job=\"api\"}[10s])))",
            r => r.IsSuccess && r.Samples.Count == 1 && !double.IsNaN(r.Samples[0].Value), TimeSpan.FromSeconds(30), cancel);
        Assert.InRange(p99.Samples[0].Value, 0, 1);
        var cpu = await prometheus.WaitForResultAsync(
            "sum(rate(dotnet_process_cpu_time_seconds_total{job=\"api\"}[10s])) / max(platform_process_cpu_limit{job=\"api\"})",
            r => r.IsSuccess && r.Samples.Count == 1, TimeSpan.FromSeconds(30), cancel);
        Assert.InRange(cpu.Samples[0].Value, 0, 1.5);
    }
}
