using System.Collections.Concurrent;
using System.Globalization;
using Platform.Metrics;
using Platform.Operator.Decisions;

namespace Platform.Operator.Signals;

/// <summary>
/// Signals without Prometheus, for local mode: scrape each target's /metrics and compute rates and
/// quantiles from the difference to the previous scrape, as Prometheus would from two samples. The first
/// scrape of a target has no rates yet, so its CPU is absent and the decision logic holds.
/// </summary>
public sealed class ScrapeSignalSource(HttpClient http, TimeProvider clock) : ISignalSource
{
    private readonly ConcurrentDictionary<string, Scrape> _previous = new();

    public async Task<IReadOnlyList<PodSignals>> ReadAsync(IReadOnlyList<PodTarget> pods, TimeSpan window, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(pods.Select(pod => ReadOneAsync(pod, cancellationToken)));
        return results;
    }

    private async Task<PodSignals> ReadOneAsync(PodTarget pod, CancellationToken cancellationToken)
    {
        Scrape current;
        try
        {
            var text = await http.GetStringAsync(pod.MetricsUri ?? new Uri(pod.AdminBaseUri, "metrics"), cancellationToken);
            current = new Scrape(clock.GetUtcNow(), ExpositionReader.Read(text));
        }
        catch (HttpRequestException)
        {
            return Absent(pod);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Absent(pod);
        }

        var previous = _previous.TryGetValue(pod.Name, out var p) ? p : null;
        _previous[pod.Name] = current;
        var limit = current.Single(SignalNames.CpuLimit);
        double? cpu = null, delay = null, rate = null, latency = null;
        if (previous is not null && current.Time > previous.Time)
        {
            var seconds = (current.Time - previous.Time).TotalSeconds;
            var cores = (current.Sum(SignalNames.CpuTime) - previous.Sum(SignalNames.CpuTime)) / seconds;
            var denominator = pod.CpuRequestCores is > 0 ? pod.CpuRequestCores : limit;
            cpu = denominator is > 0 ? Math.Max(0, cores) / denominator.Value : null;
            delay = HistogramQuantile.Compute(SignalNames.SchedulingDelayQuantile, Deltas(previous, current, SignalNames.SchedulingDelayBucket));
            rate = Math.Max(0, current.Sum(SignalNames.RequestDurationCount) - previous.Sum(SignalNames.RequestDurationCount)) / seconds;
            latency = HistogramQuantile.Compute(SignalNames.LatencyQuantile, Deltas(previous, current, SignalNames.RequestDurationBucket));
        }
        var minThreads = current.Samples.FirstOrDefault(s => s.Name == SignalNames.MinThreads && s.Labels.GetValueOrDefault("kind") == "worker")?.Value;
        return new PodSignals(pod.Name, current.Time, cpu, delay, current.Single(SignalNames.QueueLength), current.Single(SignalNames.ThreadCount),
            rate, latency, minThreads is { } m ? (int)m : null);
    }

    private static PodSignals Absent(PodTarget pod) => new(pod.Name, null, null, null, null, null, null, null, null);

    // Buckets summed over all other labels (by le), then differenced: the rate over the scrape interval.
    private static IEnumerable<(double, double)> Deltas(Scrape previous, Scrape current, string bucket)
    {
        var before = previous.BucketsByLe(bucket);
        return current.BucketsByLe(bucket).Select(b => (b.Key, Math.Max(0, b.Value - before.GetValueOrDefault(b.Key))));
    }

    private sealed record Scrape(DateTimeOffset Time, IReadOnlyList<ExpositionSample> Samples)
    {
        public double Sum(string name) => Samples.Where(s => s.Name == name).Sum(s => s.Value);

        public double? Single(string name) => Samples.FirstOrDefault(s => s.Name == name)?.Value;

        public Dictionary<double, double> BucketsByLe(string name) => Samples
            .Where(s => s.Name == name && s.Labels.ContainsKey("le"))
            .GroupBy(s => s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
    }
}
