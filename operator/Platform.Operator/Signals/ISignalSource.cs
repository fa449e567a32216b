using Platform.Operator.Decisions;

namespace Platform.Operator.Signals;

/// <summary>
/// One pod (or, in local mode, one API process) to read signals for and to push min threads to.
/// </summary>
/// <param name="Name">Pod name, or the base URL in local mode.</param>
/// <param name="AdminBaseUri">Where its /admin/threadpool is: http://podIP:adminPort/.</param>
/// <param name="SeriesLabel">The Prometheus label that identifies its series (pod, or instance in local mode).</param>
/// <param name="SeriesValue">That label's value.</param>
/// <param name="CpuRequestCores">The pod's CPU request; null: utilisation is measured against the CPU limit it reports.</param>
/// <param name="MetricsUri">Its /metrics for direct scrapes (the pod's control port); null: AdminBaseUri + "metrics".</param>
public sealed record PodTarget(string Name, Uri AdminBaseUri, string SeriesLabel, string SeriesValue, double? CpuRequestCores, Uri? MetricsUri = null);

/// <summary>Reads per-pod signals over a window. Implementations never throw for one pod's missing data: they return nulls.</summary>
public interface ISignalSource
{
    Task<IReadOnlyList<PodSignals>> ReadAsync(IReadOnlyList<PodTarget> pods, TimeSpan window, CancellationToken cancellationToken);
}
