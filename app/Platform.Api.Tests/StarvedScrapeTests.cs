using System.Diagnostics;
using Platform.Api.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>
/// Under starvation a scrape through Kestrel waits for a pool thread like any request; the dedicated-thread
/// metrics port does not, so Prometheus keeps seeing the starved process.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class StarvedScrapeTests
{
    [Fact]
    public async Task A_starved_api_still_answers_scrapes_on_its_dedicated_metrics_port()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        using var dedicated = new HttpClient { BaseAddress = new Uri($"http://{api.MetricsAddress}/"), Timeout = TimeSpan.FromSeconds(30) };

        var burst = Task.WhenAll(Enumerable.Range(0, 60).Select(_ => api.Client.GetAsync("/io/delay/sync?ms=3000", cancel)));
        await Task.Delay(1000, cancel);
        var throughKestrel = Timed(() => api.Client.GetStringAsync("/metrics", cancel));
        var throughDedicatedThread = Timed(() => dedicated.GetStringAsync("metrics", cancel));
        var (kestrelTime, _) = await throughKestrel;
        var (dedicatedTime, body) = await throughDedicatedThread;
        await burst;

        TestContext.Current.TestOutputHelper?.WriteLine($"scrape during starvation: Kestrel {kestrelTime.TotalMilliseconds:F0} ms, dedicated thread {dedicatedTime.TotalMilliseconds:F0} ms");
        Assert.Contains("dotnet_thread_pool_queue_length", body);
        Assert.True(dedicatedTime < TimeSpan.FromSeconds(1), $"dedicated {dedicatedTime.TotalMilliseconds} ms");
        Assert.True(kestrelTime > 3 * dedicatedTime, $"Kestrel {kestrelTime.TotalMilliseconds} ms vs dedicated {dedicatedTime.TotalMilliseconds} ms");
        var metrics = MetricsText.Parse(body);
        Assert.True(metrics.Single("dotnet_thread_pool_queue_length") > 0, "the dedicated scrape should see the queue while it is long");
    }

    private static async Task<(TimeSpan Elapsed, string Body)> Timed(Func<Task<string>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var body = await call();
        return (Stopwatch.GetElapsedTime(started), body);
    }
}
