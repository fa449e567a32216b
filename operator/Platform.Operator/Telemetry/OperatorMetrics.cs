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

    /// <summary>The <c>loop</c> label: the fast loop that decides min threads from the pods' control ports.</summary>
    public const string MinThreadsLoop = "min_threads";

    /// <summary>The <c>loop</c> label: the periodic loop that decides replicas from Prometheus.</summary>
    public const string ReplicaLoop = "replicas";

    private readonly ConcurrentDictionary<string, AutoscalerGauges> _autoscalers = new();
    private readonly ConcurrentDictionary<string, DecisionInputs> _inputs = new();
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _reconcileDuration;
    private volatile int _leader;

    public OperatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("platform.operator.decisions", "{decision}",
            "Decisions made, by autoscaler, loop (min_threads or replicas), regime, replica action, min-threads action and reason.");
        _errors = meter.CreateCounter<long>("platform.operator.errors", "{error}",
            "Failed calls, by component: prometheus, kubernetes, pod_admin.");
        _reconcileDuration = meter.CreateHistogram<double>("platform.operator.reconcile.duration", "s",
            "Time of one evaluation of one autoscaler's loop: read signals, decide, act, report.",
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

        // What each decision was made on, next to the spec's threshold it was compared with: dashboards draw
        // the operator's own numbers, so a panel can never show a CPU or a threshold the operator did not use.
        meter.CreateObservableGauge("platform.operator.input.cpu_utilization", () => Input(g => g.CpuUtilization), "1",
            "The average CPU, as a fraction of the pods' CPU request, the last replica decision was made on.");
        meter.CreateObservableGauge("platform.operator.threshold.cpu_utilization", () => Input(g => g.CpuTarget), "1",
            "spec.cpu.targetUtilizationPercent as a fraction: at or above it a pod is saturated.");
        meter.CreateObservableGauge("platform.operator.input.scheduling_delay", () => Input(g => g.SchedulingDelaySeconds), "s",
            "The worst pod's scheduling delay the last min-threads decision was made on.");
        meter.CreateObservableGauge("platform.operator.threshold.scheduling_delay", () => Input(g => g.SchedulingDelayThresholdSeconds), "s",
            "spec.starvation.schedulingDelayThresholdMilliseconds in seconds: above it a pod below the CPU target is starved.");
        meter.CreateObservableGauge("platform.operator.input.queue_length", () => Input(g => g.QueueLength), "{work_item}",
            "The worst pod's thread-pool queue length the last min-threads decision was made on.");
        meter.CreateObservableGauge("platform.operator.threshold.queue_length", () => Input(g => g.QueueLengthThreshold), "{work_item}",
            "spec.starvation.queueLengthThreshold: above it a pod below the CPU target is starved.");
    }

    public void SetLeader(bool isLeader) => _leader = isLeader ? 1 : 0;

    public void RecordDecision(string autoscaler, string loop, Decision decision) =>
        _decisions.Add(1,
            new KeyValuePair<string, object?>("autoscaler", autoscaler),
            new KeyValuePair<string, object?>("loop", loop),
            new KeyValuePair<string, object?>("regime", Snake(decision.Regime.ToString())),
            new KeyValuePair<string, object?>("replica_action", Snake(decision.ReplicaAction.ToString())),
            new KeyValuePair<string, object?>("min_threads_action", Snake(decision.MinThreadsAction.ToString())),
            new KeyValuePair<string, object?>("reason", decision.Reason));

    public void RecordError(string component) =>
        _errors.Add(1, new KeyValuePair<string, object?>("component", component));

    public void RecordReconcile(string autoscaler, string loop, TimeSpan duration) =>
        _reconcileDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("autoscaler", autoscaler), new KeyValuePair<string, object?>("loop", loop));

    public void SetReplicaState(string autoscaler, int currentReplicas, int desiredReplicas) =>
        _autoscalers.AddOrUpdate(autoscaler, _ => new AutoscalerGauges { CurrentReplicas = currentReplicas, DesiredReplicas = desiredReplicas },
            (_, gauges) => gauges with { CurrentReplicas = currentReplicas, DesiredReplicas = desiredReplicas });

    public void SetMinThreadsState(string autoscaler, int desiredMinThreads, int podsAtDesiredMinThreads) =>
        _autoscalers.AddOrUpdate(autoscaler, _ => new AutoscalerGauges { DesiredMinThreads = desiredMinThreads, PodsAtDesiredMinThreads = podsAtDesiredMinThreads },
            (_, gauges) => gauges with { DesiredMinThreads = desiredMinThreads, PodsAtDesiredMinThreads = podsAtDesiredMinThreads });

    /// <summary>What the last replica decision was made on and the target it compared it with.</summary>
    public void SetReplicaInputs(string autoscaler, Decision decision, AutoscalerPolicy policy) =>
        _inputs.AddOrUpdate(autoscaler,
            _ => new DecisionInputs { CpuUtilization = decision.Signals.CpuUtilization, CpuTarget = policy.TargetCpuUtilization },
            (_, inputs) => inputs with { CpuUtilization = decision.Signals.CpuUtilization, CpuTarget = policy.TargetCpuUtilization });

    /// <summary>What the last min-threads decision was made on and the thresholds it compared them with.</summary>
    public void SetMinThreadsInputs(string autoscaler, Decision decision, AutoscalerPolicy policy) =>
        _inputs.AddOrUpdate(autoscaler, _ => MinThreadsInputs(new DecisionInputs(), decision, policy), (_, inputs) => MinThreadsInputs(inputs, decision, policy));

    public void Forget(string autoscaler)
    {
        _autoscalers.TryRemove(autoscaler, out _);
        _inputs.TryRemove(autoscaler, out _);
    }

    private static DecisionInputs MinThreadsInputs(DecisionInputs inputs, Decision decision, AutoscalerPolicy policy) => inputs with
    {
        SchedulingDelaySeconds = decision.Signals.SchedulingDelaySeconds,
        QueueLength = decision.Signals.QueueLength,
        SchedulingDelayThresholdSeconds = policy.StarvationSchedulingDelay.TotalSeconds,
        QueueLengthThreshold = policy.StarvationQueueLength,
    };

    // An input the decision did not have (no pod reported it) exports no sample rather than a made-up 0.
    private IEnumerable<Measurement<double>> Input(Func<DecisionInputs, double?> select) =>
        _inputs.Where(a => select(a.Value) is not null)
            .Select(a => new Measurement<double>(select(a.Value)!.Value, new KeyValuePair<string, object?>("autoscaler", a.Key)));

    // A loop that has not reported yet exports nothing for its gauges rather than a made-up 0.
    private IEnumerable<Measurement<int>> Gauge(Func<AutoscalerGauges, int?> select) =>
        _autoscalers.Where(a => select(a.Value) is not null)
            .Select(a => new Measurement<int>(select(a.Value)!.Value, new KeyValuePair<string, object?>("autoscaler", a.Key)));

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private sealed record DecisionInputs
    {
        public double? CpuUtilization { get; init; }

        public double? CpuTarget { get; init; }

        public double? SchedulingDelaySeconds { get; init; }

        public double? SchedulingDelayThresholdSeconds { get; init; }

        public double? QueueLength { get; init; }

        public double? QueueLengthThreshold { get; init; }
    }

    private sealed record AutoscalerGauges
    {
        public int? CurrentReplicas { get; init; }

        public int? DesiredReplicas { get; init; }

        public int? DesiredMinThreads { get; init; }

        public int? PodsAtDesiredMinThreads { get; init; }
    }
}
