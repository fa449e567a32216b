using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Platform.Operator.Decisions;

namespace Platform.Operator.Telemetry;

/// <summary>
/// The operator's own instruments, served at its /metrics by the same exporter the API uses.
/// docs/metrics-contract.md lists them with the API's.
/// </summary>
public sealed class OperatorMetrics
{
    public const string MeterName = "Platform.Operator";

    private readonly ConcurrentDictionary<string, AutoscalerGauges> _autoscalers = new();
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _reconcileDuration;
    private volatile int _leader;

    public OperatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("platform.operator.decisions", "{decision}",
            "Decisions made, by autoscaler, regime, replica action, min-threads action and reason.");
        _errors = meter.CreateCounter<long>("platform.operator.errors", "{error}",
            "Failed calls, by component: prometheus, kubernetes, pod_admin.");
        _reconcileDuration = meter.CreateHistogram<double>("platform.operator.reconcile.duration", "s",
            "Time to evaluate one autoscaler: read signals, decide, act, write status.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        meter.CreateObservableGauge("platform.operator.desired_replicas", () => Gauge(g => g.DesiredReplicas), "{replica}",
            "Replicas the last decision wanted.");
        meter.CreateObservableGauge("platform.operator.current_replicas", () => Gauge(g => g.CurrentReplicas), "{replica}",
            "Replicas the target had at the last evaluation.");
        meter.CreateObservableGauge("platform.operator.desired_min_threads", () => Gauge(g => g.DesiredMinThreads), "{thread}",
            "Min worker threads the operator wants every ready pod to have.");
        meter.CreateObservableGauge("platform.operator.pods_at_desired_min_threads", () => Gauge(g => g.PodsAtDesiredMinThreads), "{pod}",
            "Ready pods that report the desired min worker threads.");
        meter.CreateObservableGauge("platform.operator.leader", () => _leader, "{leader}",
            "1 while this replica holds the leader lease (always 1 in local mode).");
    }

    public void SetLeader(bool isLeader) => _leader = isLeader ? 1 : 0;

    public void RecordDecision(string autoscaler, Decision decision) =>
        _decisions.Add(1,
            new KeyValuePair<string, object?>("autoscaler", autoscaler),
            new KeyValuePair<string, object?>("regime", Snake(decision.Regime.ToString())),
            new KeyValuePair<string, object?>("replica_action", Snake(decision.ReplicaAction.ToString())),
            new KeyValuePair<string, object?>("min_threads_action", Snake(decision.MinThreadsAction.ToString())),
            new KeyValuePair<string, object?>("reason", decision.Reason));

    public void RecordError(string component) =>
        _errors.Add(1, new KeyValuePair<string, object?>("component", component));

    public void RecordReconcile(string autoscaler, TimeSpan duration) =>
        _reconcileDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("autoscaler", autoscaler));

    public void SetState(string autoscaler, int currentReplicas, int desiredReplicas, int desiredMinThreads, int podsAtDesiredMinThreads) =>
        _autoscalers[autoscaler] = new AutoscalerGauges(currentReplicas, desiredReplicas, desiredMinThreads, podsAtDesiredMinThreads);

    public void Forget(string autoscaler) => _autoscalers.TryRemove(autoscaler, out _);

    private IEnumerable<Measurement<int>> Gauge(Func<AutoscalerGauges, int> select) =>
        _autoscalers.Select(a => new Measurement<int>(select(a.Value), new KeyValuePair<string, object?>("autoscaler", a.Key)));

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private sealed record AutoscalerGauges(int CurrentReplicas, int DesiredReplicas, int DesiredMinThreads, int PodsAtDesiredMinThreads);
}
