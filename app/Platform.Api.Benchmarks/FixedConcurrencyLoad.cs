using Platform.Testing;
using System.Diagnostics;

namespace Platform.Api.Benchmarks;

/// <summary>What one fixed-concurrency run measured.</summary>
/// <param name="Elapsed">From the start until the last worker's last request finished.</param>
internal sealed record FixedConcurrencyResult(int Ok, int Failed, TimeSpan Elapsed, LatencySummary Latency)
{
    public double OkPerSecond => Elapsed > TimeSpan.Zero ? Ok / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Closed-loop load: a fixed number of workers, each sending its next request as soon as the previous one
/// is answered, until the time is up. This finds the most the server (and the client sharing its cores)
/// can do, which is what a per-request overhead such as metrics collection takes away from.
/// </summary>
internal sealed class FixedConcurrencyLoad(HttpClient client, int workers)
{
    public async Task<FixedConcurrencyResult> RunAsync(Uri target, TimeSpan duration, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perWorker = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkAsync(target, deadline, cancellationToken)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new FixedConcurrencyResult(
            perWorker.Sum(worker => worker.Ok),
            perWorker.Sum(worker => worker.Failed),
            elapsed,
            LatencySummary.FromStopwatchTicks([.. perWorker.SelectMany(worker => worker.Latencies)]));
    }

    private async Task<WorkerTally> WorkAsync(Uri target, long deadline, CancellationToken cancellationToken)
    {
        // Off the caller's thread at once, so all workers start together.
        await Task.Yield();
        var tally = new WorkerTally();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.GetAsync(target, HttpCompletionOption.ResponseContentRead, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    tally.Ok++;
                }
                else
                {
                    tally.Failed++;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                tally.Failed++;
            }

            tally.Latencies.Add(Stopwatch.GetTimestamp() - sent);
        }

        return tally;
    }

    private sealed class WorkerTally
    {
        public int Ok { get; set; }

        public int Failed { get; set; }

        public List<long> Latencies { get; } = [];
    }
}
