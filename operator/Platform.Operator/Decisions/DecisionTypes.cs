namespace Platform.Operator.Decisions;

/// <summary>
/// What one pod looked like over a window. Null means the value was absent; a pod whose
/// <see cref="SampleTime"/> is absent or older than the loop's staleness bound has no usable data.
/// </summary>
/// <param name="CpuUtilization">CPU used as a fraction of the pod's CPU request (1.0 = at request).</param>
/// <param name="SchedulingDelaySeconds">The scheduling delay: the p90 of the probes that ran in the window, or (read from the control port) the larger of that and how long the oldest probe still waiting has waited.</param>
/// <param name="QueueLength">Thread-pool queue length (the window's average from Prometheus, the current value from the control port).</param>
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
    int? MinWorkerThreads)
{
    /// <summary>Worker threads running a work item now (max minus available): what the pod really uses.</summary>
    public double? BusyThreads { get; init; }

    /// <summary>Work items the pool completed per second over the window.</summary>
    public double? WorkItemRate { get; init; }

    /// <summary>How fast the queue grew (negative: shrank), in work items per second over the window.</summary>
    public double? QueueGrowthRate { get; init; }

    /// <summary>Mean server-side duration of the requests completed in the window: the time a synchronous handler holds its thread.</summary>
    public double? MeanRequestSeconds { get; init; }
}

/// <summary>A validated spec, in the units the decision logic uses.</summary>
/// <param name="PodSignalInterval">How often the min-threads loop reads every pod's control port; also the time the sizing rule gives a backlog to drain.</param>
public sealed record AutoscalerPolicy(
    int MinReplicas,
    int MaxReplicas,
    int MinThreadsBaseline,
    int MinThreadsMax,
    double TargetCpuUtilization,
    double StarvationQueueLength,
    TimeSpan StarvationSchedulingDelay,
    double Tolerance,
    TimeSpan ScaleUpStabilizationWindow,
    TimeSpan ScaleDownStabilizationWindow,
    int ScaleUpLimitPercent,
    int ScaleUpLimitPods,
    TimeSpan ScaleUpPeriod,
    TimeSpan MaxStaleness,
    TimeSpan PodSignalInterval)
{
    /// <summary>
    /// A pod's control-port reading older than this is stale: three intervals, so one slow or lost read does
    /// not make a pod count as silent, and a pod that stopped answering does within seconds.
    /// </summary>
    public TimeSpan PodSignalMaxAge => 3 * PodSignalInterval;
}

/// <summary>Everything one decision is made on. Time is an input, so decisions are reproducible.</summary>
/// <param name="Pods">Signals of the pods the decision is about: the ready pods for replicas, every running pod with an IP for min threads.</param>
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

    /// <summary>A pod below the CPU target queues work or delays it: threads are blocked, not busy.</summary>
    Starvation,

    /// <summary>CPU at or above target: only more pods (or cores) help.</summary>
    Saturation,

    /// <summary>Neither: candidates for scale-in and min-threads decay, after stabilisation.</summary>
    Normal,
}

/// <summary>How the decision logic judged one pod, before deciding for the autoscaler.</summary>
public enum PodCause
{
    /// <summary>No fresh, complete reading.</summary>
    NoData,

    /// <summary>At or above the CPU target, whatever its queue or delay: more threads would only contend for the cores.</summary>
    Saturated,

    /// <summary>Below the CPU target with a queue or a scheduling delay above its threshold.</summary>
    Starved,

    /// <summary>Neither.</summary>
    Normal,
}

/// <summary>One pod's reading as the decision saw it, with its cause.</summary>
/// <param name="NeededMinThreads">For a starved pod, the min threads the sizing rule says it needs; otherwise null.</param>
public sealed record PodJudgement(string Pod, PodCause Cause, double? CpuUtilization, double? SchedulingDelaySeconds, double? QueueLength, int? NeededMinThreads);

/// <summary>The aggregate the decision used: the worst starving pod's queue and delay, the average CPU (as the HPA does).</summary>
public sealed record DecisionSignals(
    double? CpuUtilization,
    double? SchedulingDelaySeconds,
    double? QueueLength,
    double? ThreadCount,
    double? RequestRate,
    double? LatencyP95Seconds,
    int PodsWithData)
{
    /// <summary>Each pod's cause, in input order.</summary>
    public IReadOnlyList<PodJudgement> Pods { get; init; } = [];

    public static DecisionSignals None { get; } = new(null, null, null, null, null, null, 0);
}

/// <summary>
/// A rule that changed the proposed value, with its CamelCase reason and what it did, in the order applied:
/// the explanation is these, formatted, never reconstructed.
/// </summary>
public sealed record Limit(string Reason, string Message);

/// <summary>
/// A decision as data: what to do to each knob, why (a CamelCase reason for events and conditions, and
/// a sentence for people), and the signals it was made on. A decision is about one knob: the replica
/// loop decides replicas, the min-threads loop min threads; the other knob stays at its current value.
/// </summary>
/// <param name="Limits">The rules that bound, in order; the last one's reason is <see cref="Reason"/> when any bound.</param>
public sealed record Decision(
    Regime Regime,
    ReplicaAction ReplicaAction,
    MinThreadsAction MinThreadsAction,
    int DesiredReplicas,
    int DesiredMinThreads,
    string Reason,
    string Message,
    DecisionSignals Signals,
    IReadOnlyList<Limit> Limits)
{
    /// <summary>True when the decision changes a knob (what events, logs and the last-decision status report).</summary>
    public bool Acts => ReplicaAction != ReplicaAction.None || MinThreadsAction != MinThreadsAction.None;

    /// <summary>True when the decision held because its data was missing or stale: nothing may be pushed on it.</summary>
    public bool Holds => Regime == Regime.Unknown && Reason is DecisionReasons.MetricsMissing or DecisionReasons.MetricsStale;
}

/// <summary>CamelCase reasons, shared by events, conditions, status and the decisions metric.</summary>
public static class DecisionReasons
{
    public const string Starvation = "ThreadPoolStarvation";
    public const string Saturation = "CpuSaturation";
    public const string Idle = "Idle";
    public const string WithinTolerance = "WithinTolerance";
    public const string ScaleDownStabilized = "ScaleDownStabilized";
    public const string ScaleUpStabilized = "ScaleUpStabilized";
    public const string AtMaxMinThreads = "AtMaxMinThreads";
    public const string AtMaxReplicas = "AtMaxReplicas";
    public const string AtMinReplicas = "AtMinReplicas";
    public const string MetricsMissing = "MetricsMissing";
    public const string MetricsStale = "MetricsStale";

    /// <summary>Pods starve, but they already have the min threads they need: the pool is creating them and the backlog drains.</summary>
    public const string StarvationDraining = "StarvationDraining";

    /// <summary>Min threads stay where they are because the pods use enough of them (1.5 × what the busiest uses is more than half the current value).</summary>
    public const string MinThreadsInUse = "MinThreadsInUse";

    /// <summary>Lowering min threads needs a fresh reading from every pod, and one is missing.</summary>
    public const string PodsUnread = "PodsUnread";

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
