using System.Diagnostics;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>Async modes honour RequestAborted: a client that goes away stops the work on the server.</summary>
public sealed class RequestAbortedTests
{
    [Theory]
    [InlineData("/io/delay/async?ms=20000", "io-delay")]
    [InlineData("/io/http/async?ms=20000", "io-http")]
    [InlineData("/fanout/when-all?calls=3&ms=20000", "fanout")]
    public async Task A_disconnecting_client_stops_async_work_long_before_it_would_have_finished(string url, string workload)
    {
        await using var api = await ApiProcess.StartAsync();
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        using var abandon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync(url, abandon.Token));

        // The server notices the reset, the wait is cancelled and the request counted as canceled: in
        // seconds, not after the 20 s it asked for.
        double canceled = 0;
        while (canceled < 1 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            var metrics = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
            canceled = metrics.Sum("platform_workload_requests_total", l => l["workload"] == workload && l["outcome"] == "canceled");
        }

        Assert.Equal(1, canceled);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10));
    }
}
