using Platform.Testing;
using System.Diagnostics;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>What one burst of concurrent requests looked like from the client and from the server.</summary>
public sealed record BurstResult(
    IReadOnlyList<TimeSpan> Latencies,
    int Failures,
    double MeanSchedulingDelaySeconds,
    double MaxQueueLength,
    double ThreadsAfter)
{
    public TimeSpan Median => Latencies.Order().ElementAt(Latencies.Count / 2);

    public TimeSpan Max => Latencies.Max();

    public override string ToString() =>
        $"median {Median.TotalMilliseconds:F0} ms, max {Max.TotalMilliseconds:F0} ms, failures {Failures}, " +
        $"mean scheduling delay {MeanSchedulingDelaySeconds * 1000:F1} ms, max queue length {MaxQueueLength}, threads after {ThreadsAfter}";
}

/// <summary>Fires N concurrent requests at once and reads the server's own view before, during and after.</summary>
public static class Burst
{
    public static async Task<BurstResult> RunAsync(ApiProcess api, string url, int concurrency, CancellationToken cancellationToken)
    {
        var before = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", cancellationToken));
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var maxQueue = SampleQueueLengthAsync(api, sampling.Token);

        var requests = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await api.Client.GetAsync(url, cancellationToken);
                return (Latency: Stopwatch.GetElapsedTime(started), Ok: response.IsSuccessStatusCode);
            }
            catch (HttpRequestException)
            {
                return (Latency: Stopwatch.GetElapsedTime(started), Ok: false);
            }
        });
        var results = await Task.WhenAll(requests);
        await sampling.CancelAsync();
        var queue = await maxQueue;

        // Give the probe a moment to record the items that were queued during the burst.
        await Task.Delay(300, cancellationToken);
        var after = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", cancellationToken));
        var delaySum = after.Single("platform_thread_pool_scheduling_delay_seconds_sum")!.Value - before.Single("platform_thread_pool_scheduling_delay_seconds_sum")!.Value;
        var delayCount = after.Single("platform_thread_pool_scheduling_delay_seconds_count")!.Value - before.Single("platform_thread_pool_scheduling_delay_seconds_count")!.Value;
        return new BurstResult(
            results.Select(r => r.Latency).ToList(),
            results.Count(r => !r.Ok),
            delayCount > 0 ? delaySum / delayCount : 0,
            queue,
            after.Single("dotnet_thread_pool_thread_count") ?? 0);
    }

    // Each sample needs a pool thread in the server, so under starvation samples come late; the
    // maximum seen is still a lower bound on the real queue length.
    private static async Task<double> SampleQueueLengthAsync(ApiProcess api, CancellationToken cancellationToken)
    {
        var max = 0d;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var metrics = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", cancellationToken));
                max = Math.Max(max, metrics.Single("dotnet_thread_pool_queue_length") ?? 0);
                await Task.Delay(100, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return max;
    }
}
