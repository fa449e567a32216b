using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Operator.Decisions;

namespace Platform.Operator.Signals;

/// <summary>
/// Per-pod signals from Prometheus: one query per signal for all pods at once, grouped by the label that
/// identifies a pod. Values that Prometheus cannot compute (no samples, NaN) come back as null.
/// </summary>
public sealed class PrometheusSignalSource(PrometheusQueryClient client, Uri prometheus, IReadOnlyDictionary<string, string> fixedMatchers) : ISignalSource
{
    public async Task<IReadOnlyList<PodSignals>> ReadAsync(IReadOnlyList<PodTarget> pods, TimeSpan window, CancellationToken cancellationToken)
    {
        if (pods.Count == 0)
        {
            return [];
        }
        var label = pods[0].SeriesLabel;
        var queries = SignalQueries.For(label, Matchers(label, pods), window);

        // Independent queries: issue them together.
        var cpu = Query(queries.CpuCores);
        var limit = Query(queries.CpuLimit);
        var delay = Query(queries.SchedulingDelayP90);
        var queue = Query(queries.QueueLength);
        var threads = Query(queries.ThreadCount);
        var rate = Query(queries.RequestRate);
        var latency = Query(queries.LatencyP95);
        var minThreads = Query(queries.MinThreads);
        var freshness = Query(queries.SampleTime);
        await Task.WhenAll(cpu, limit, delay, queue, threads, rate, latency, minThreads, freshness);

        return pods.Select(pod =>
        {
            var key = pod.SeriesValue;
            var cores = Value(cpu.Result, label, key);
            var denominator = pod.CpuRequestCores is > 0 ? pod.CpuRequestCores : Value(limit.Result, label, key);
            var sampleTime = Value(freshness.Result, label, key) is { } seconds ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : (DateTimeOffset?)null;
            return new PodSignals(
                pod.Name,
                sampleTime,
                cores is { } c && denominator is > 0 ? c / denominator.Value : null,
                Value(delay.Result, label, key),
                Value(queue.Result, label, key),
                Value(threads.Result, label, key),
                Value(rate.Result, label, key),
                Value(latency.Result, label, key),
                Value(minThreads.Result, label, key) is { } m ? (int)m : null);
        }).ToList();

        Task<IReadOnlyList<VectorSample>> Query(string promql) => client.QueryAsync(prometheus, promql, cancellationToken);
    }

    private string Matchers(string label, IReadOnlyList<PodTarget> pods)
    {
        var parts = fixedMatchers.Select(m => $"{m.Key}=\"{Escape(m.Value)}\"").ToList();
        parts.Add($"{label}=~\"{string.Join('|', pods.Select(p => Escape(Regex.Escape(p.SeriesValue))))}\"");
        return string.Join(',', parts);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static double? Value(IReadOnlyList<VectorSample> samples, string label, string key)
    {
        var sample = samples.FirstOrDefault(s => s.Labels.TryGetValue(label, out var v) && v == key);
        return sample is null || double.IsNaN(sample.Value) || double.IsInfinity(sample.Value) ? null : sample.Value;
    }
}

/// <summary>The PromQL behind each signal; the names come from <see cref="SignalNames"/>.</summary>
public sealed record SignalQueries(
    string CpuCores, string CpuLimit, string SchedulingDelayP90, string QueueLength, string ThreadCount,
    string RequestRate, string LatencyP95, string MinThreads, string SampleTime)
{
    public static SignalQueries For(string by, string matchers, TimeSpan window)
    {
        var w = ((int)window.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        var q = SignalNames.SchedulingDelayQuantile.ToString(CultureInfo.InvariantCulture);
        var p = SignalNames.LatencyQuantile.ToString(CultureInfo.InvariantCulture);
        return new SignalQueries(
            CpuCores: $"sum by ({by}) (rate({SignalNames.CpuTime}{{{matchers}}}[{w}]))",
            CpuLimit: $"max by ({by}) ({SignalNames.CpuLimit}{{{matchers}}})",
            SchedulingDelayP90: $"histogram_quantile({q}, sum by ({by}, le) (rate({SignalNames.SchedulingDelayBucket}{{{matchers}}}[{w}])))",
            QueueLength: $"max by ({by}) (avg_over_time({SignalNames.QueueLength}{{{matchers}}}[{w}]))",
            ThreadCount: $"max by ({by}) ({SignalNames.ThreadCount}{{{matchers}}})",
            RequestRate: $"sum by ({by}) (rate({SignalNames.RequestDurationCount}{{{matchers}}}[{w}]))",
            LatencyP95: $"histogram_quantile({p}, sum by ({by}, le) (rate({SignalNames.RequestDurationBucket}{{{matchers}}}[{w}])))",
            MinThreads: $"max by ({by}) ({SignalNames.MinThreads}{{{matchers},kind=\"worker\"}})",
            SampleTime: $"max by ({by}) (timestamp({SignalNames.ThreadCount}{{{matchers}}}))");
    }
}
