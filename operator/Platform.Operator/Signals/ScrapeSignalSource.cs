using System.Collections.Concurrent;
using System.Globalization;
using Platform.Metrics;
using Platform.Operator.Decisions;

namespace Platform.Operator.Signals;

/// <summary>
/// Signals without Prometheus: scrape each pod's control port (its /metrics, served without a pool thread)
/// and compute rates and quantiles over a window from the pod's recent scrapes, as Prometheus would from
/// two samples. Every call scrapes once; the min-threads loop calls it every second, so over one interval
/// its window is the last second. A pod's first scrape has no rates yet: its CPU is absent and the decision
/// logic does not judge it.
/// </summary>
public sealed class ScrapeSignalSource(HttpClient http, TimeProvider clock) : ISignalSource
{
    // Enough history for the longest window a loop asks for (the replica loop's minute, in local mode).
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(150);

    // A reading at least this share of the window old counts as a window ago: loop ticks drift by milliseconds.
    private const double WindowMatch = 0.8;

    private readonly ConcurrentDictionary<string, List<Reading>> _history = new();

    public async Task<IReadOnlyList<PodSignals>> ReadAsync(IReadOnlyList<PodTarget> pods, TimeSpan window, CancellationToken cancellationToken)
    {
        foreach (var gone in _history.Keys.Where(k => pods.All(p => p.Name != k)).ToList())
        {
            _history.TryRemove(gone, out _);
        }
        return await Task.WhenAll(pods.Select(pod => ReadOneAsync(pod, window, cancellationToken)));
    }

    private async Task<PodSignals> ReadOneAsync(PodTarget pod, TimeSpan window, CancellationToken cancellationToken)
    {
        Reading current;
        try
        {
            var text = await http.GetStringAsync(pod.MetricsUri ?? new Uri(pod.AdminBaseUri, "metrics"), cancellationToken);
            current = Reading.From(clock.GetUtcNow(), ExpositionReader.Read(text));
        }
        catch (Exception ex) when (ex is HttpRequestException or FormatException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new PodSignals(pod.Name, null, null, null, null, null, null, null, null);
        }

        var history = _history.GetOrAdd(pod.Name, _ => []);
        Reading? start;
        lock (history)
        {
            // The newest reading about a window ago (another loop's scrape in between is not a window), else
            // the oldest there is; rates over less than half the window would be noise, so they wait.
            start = history.LastOrDefault(r => r.Time <= current.Time - (WindowMatch * window)) ?? history.FirstOrDefault();
            if (start is not null && current.Time - start.Time < window / 2)
            {
                start = null;
            }
            history.Add(current);
            history.RemoveAll(r => r.Time < current.Time - Retention);
        }

        double? cpu = null, delay = null, rate = null, latency = null, workItems = null, growth = null, meanRequest = null;
        if (start is not null && current.Time > start.Time && current.CpuSeconds >= start.CpuSeconds)
        {
            var seconds = (current.Time - start.Time).TotalSeconds;
            var denominator = pod.CpuRequestCores is > 0 ? pod.CpuRequestCores : current.CpuLimit;
            cpu = denominator is > 0 ? (current.CpuSeconds - start.CpuSeconds) / seconds / denominator.Value : null;
            delay = HistogramQuantile.Compute(SignalNames.SchedulingDelayQuantile, Deltas(start.DelayBuckets, current.DelayBuckets));
            rate = Math.Max(0, current.Requests - start.Requests) / seconds;
            latency = HistogramQuantile.Compute(SignalNames.LatencyQuantile, Deltas(start.LatencyBuckets, current.LatencyBuckets));
            workItems = current.WorkItems is { } w && start.WorkItems is { } w0 ? Math.Max(0, w - w0) / seconds : null;
            growth = current.QueueLength is { } q && start.QueueLength is { } q0 ? (q - q0) / seconds : null;
            var completedRequests = current.Requests - start.Requests;
            meanRequest = completedRequests > 0 ? Math.Max(0, current.RequestSeconds - start.RequestSeconds) / completedRequests : null;
        }

        // The probes that ran only tell of the past; the oldest still waiting tells of now.
        var schedulingDelay = (delay, current.CurrentDelay) switch
        {
            ({ } ran, { } waiting) => Math.Max(ran, waiting),
            (var ran, var waiting) => ran ?? waiting,
        };
        return new PodSignals(pod.Name, current.Time, cpu, schedulingDelay, current.QueueLength, current.ThreadCount, rate, latency, current.MinWorkerThreads)
        {
            BusyThreads = current.MaxWorkerThreads - current.AvailableWorkerThreads,
            WorkItemRate = workItems,
            QueueGrowthRate = growth,
            MeanRequestSeconds = meanRequest,
        };
    }

    // Buckets summed over all other labels (by le), then differenced: the rate over the window.
    private static IEnumerable<(double, double)> Deltas(IReadOnlyDictionary<double, double> before, IReadOnlyDictionary<double, double> after) =>
        after.Select(b => (b.Key, Math.Max(0, b.Value - before.GetValueOrDefault(b.Key))));

    /// <summary>The values of one scrape the signals are computed from.</summary>
    private sealed record Reading(
        DateTimeOffset Time,
        double CpuSeconds,
        double? CpuLimit,
        IReadOnlyDictionary<double, double> DelayBuckets,
        double? CurrentDelay,
        double? QueueLength,
        double? ThreadCount,
        double? WorkItems,
        int? MinWorkerThreads,
        double? MaxWorkerThreads,
        double? AvailableWorkerThreads,
        double Requests,
        double RequestSeconds,
        IReadOnlyDictionary<double, double> LatencyBuckets)
    {
        public static Reading From(DateTimeOffset time, IReadOnlyList<ExpositionSample> samples)
        {
            return new Reading(
                time,
                Sum(SignalNames.CpuTime),
                First(SignalNames.CpuLimit),
                Buckets(SignalNames.SchedulingDelayBucket),
                First(SignalNames.SchedulingDelayCurrent),
                First(SignalNames.QueueLength),
                First(SignalNames.ThreadCount),
                First(SignalNames.WorkItemCount),
                Worker(SignalNames.MinThreads) is { } min ? (int)min : null,
                Worker(SignalNames.MaxThreads),
                Worker(SignalNames.AvailableThreads),
                Sum(SignalNames.RequestDurationCount),
                Sum(SignalNames.RequestDurationSum),
                Buckets(SignalNames.RequestDurationBucket));

            double Sum(string name) => samples.Where(s => s.Name == name).Sum(s => s.Value);

            double? First(string name) => samples.FirstOrDefault(s => s.Name == name)?.Value;

            double? Worker(string name) => samples.FirstOrDefault(s => s.Name == name && s.Labels.GetValueOrDefault("kind") == "worker")?.Value;

            Dictionary<double, double> Buckets(string name) => samples
                .Where(s => s.Name == name && s.Labels.ContainsKey("le"))
                .GroupBy(s => s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        }
    }
}
