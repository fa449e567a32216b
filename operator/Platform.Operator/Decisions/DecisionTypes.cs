namespace Platform.Operator.Decisions;

/// <summary>
/// What one ready pod looked like over the query window. Null means the value was absent; a pod whose
/// <see cref="SampleTime"/> is absent or older than the policy's staleness bound has no usable data.
/// </summary>
/// <param name="CpuUtilization">CPU used as a fraction of the pod's CPU request (1.0 = at request).</param>
/// <param name="SchedulingDelaySeconds">p90 of the scheduling-delay probe. Null when no probe completed in the window.</param>
/// <param name="QueueLength">Average thread-pool queue length.</param>
/// <param name="MinWorkerThreads">Min worker threads the pod reports it has (what it applied).</param>
public sealed record PodSignals(
    string Pod,
    DateTimeOffset? SampleTime,
    double? CpuUtilization,
    double? SchedulingDelaySeconds,
    double? QueueLength,
    double? ThreadCount,
    double? RequestRate,
    double? LatencyP95Seconds,
    int? MinWorkerThreads);

/// <summary>A validated spec, in the units the decision logic uses.</summary>
public sealed record AutoscalerPolicy(
    int MinReplicas,
    int MaxReplicas,
    int MinThreadsBaseline,
    int MinThreadsMax,
    int MinThreadsStep,
    double TargetCpuUtilization,
    double StarvationQueueLength,
    TimeSpan StarvationSchedulingDelay,
    double Tolerance,
    TimeSpan ScaleUpStabilizationWindow,
    TimeSpan ScaleDownStabilizationWindow,
    int ScaleUpLimitPercent,
    int ScaleUpLimitPods,
    TimeSpan ScaleUpPeriod,
    TimeSpan MaxStaleness);

/// <summary>Everything one decision is made on. Time is an input, so decisions are reproducible.</summary>
/// <param name="Pods">Signals of the target's ready pods.</param>
/// <param name="CurrentReplicas">The Deployment's replica count now.</param>
/// <param name="CurrentMinThreads">The min threads the operator currently wants the pods to have.</param>
public sealed record DecisionInput(
    AutoscalerPolicy Policy,
    IReadOnlyList<PodSignals> Pods,
    int CurrentReplicas,
    int CurrentMinThreads,
    DateTimeOffset Now);

public enum ReplicaAction
{
    None,
    ScaleUp,
    ScaleDown,
}

public enum MinThreadsAction
{
    None,
    Raise,
    Lower,
}

/// <summary>The regime the pods are in, as the decision logic classified them.</summary>
public enum Regime
{
    /// <summary>No usable data: hold everything.</summary>
    Unknown,

    /// <summary>Queueing or scheduling delay while CPU is below target: threads are blocked, not busy.</summary>
    Starvation,

    /// <summary>CPU at or above target: only more pods (or cores) help.</summary>
    Saturation,

    /// <summary>Neither: candidates for scale-in and min-threads decay, after stabilisation.</summary>
    Normal,
}

/// <summary>The aggregate the decision used: worst pod for starvation signals, average for CPU (as the HPA does).</summary>
public sealed record DecisionSignals(
    double? CpuUtilization,
    double? SchedulingDelaySeconds,
    double? QueueLength,
    double? ThreadCount,
    double? RequestRate,
    double? LatencyP95Seconds,
    int PodsWithData);

/// <summary>
/// A decision as data: what to do to each knob, why (a CamelCase reason for events and conditions, and
/// a sentence for people), and the signals it was made on. At most one knob is raised per decision, with one
/// exception: when both current values are below their lower bounds, one decision brings both up to them.
/// </summary>
public sealed record Decision(
    Regime Regime,
    ReplicaAction ReplicaAction,
    MinThreadsAction MinThreadsAction,
    int DesiredReplicas,
    int DesiredMinThreads,
    string Reason,
    string Message,
    DecisionSignals Signals)
{
    /// <summary>True when the decision changes a knob (what events, logs and the last-decision status report).</summary>
    public bool Acts => ReplicaAction != ReplicaAction.None || MinThreadsAction != MinThreadsAction.None;
}

/// <summary>CamelCase reasons, shared by events, conditions, status and the decisions metric.</summary>
public static class DecisionReasons
{
    public const string Starvation = "ThreadPoolStarvation";
    public const string Saturation = "CpuSaturation";
    public const string Idle = "Idle";
    public const string WithinTolerance = "WithinTolerance";
    public const string ScaleDownStabilized = "ScaleDownStabilized";
    public const string AtMaxMinThreads = "AtMaxMinThreads";
    public const string AtMaxReplicas = "AtMaxReplicas";
    public const string MetricsMissing = "MetricsMissing";
    public const string MetricsStale = "MetricsStale";

    /// <summary>Current replicas were below spec.replicas.min: raised to it, whatever the signals.</summary>
    public const string BelowMinReplicas = "BelowMinReplicas";

    /// <summary>Current replicas were above spec.replicas.max: lowered to it, whatever the signals.</summary>
    public const string AboveMaxReplicas = "AboveMaxReplicas";

    /// <summary>Current min threads were below spec.minThreads.baseline: raised to it.</summary>
    public const string BelowMinThreadsBaseline = "BelowMinThreadsBaseline";

    /// <summary>Current min threads were above spec.minThreads.max: lowered to it.</summary>
    public const string AboveMinThreadsMax = "AboveMinThreadsMax";

    /// <summary>Saturation wanted more pods than the scale-up limit allows in the current period.</summary>
    public const string ScaleUpLimited = "ScaleUpLimited";
}
