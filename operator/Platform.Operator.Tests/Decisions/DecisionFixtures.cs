using Platform.Operator.Decisions;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// The policy and pods the decision tests are written against: the CRD's defaults except replicas 1..50
/// and min threads 2..200, pods read every second.
/// </summary>
/// <remarks>
/// A default pod's sizing fields make a starved pod's need easy to work out by hand: 20 busy threads
/// complete 100 work items/s, requests take 200 ms, and how its queue changed is unknown (so it counts as no
/// growth, and the queue as no proof of steady demand): it holds a thread 0.2 s, offers R = 0.2 × 100 = 20
/// threads of load, and needs R + 2√R + 0.2 × queue / 2 s = 28.94 + queue / 10 min threads. Its 20 busy
/// threads also put the lowering target at 1.5 × 20 = 30.
/// </remarks>
internal static class DecisionFixtures
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly AutoscalerPolicy Policy = new(
        MinReplicas: 1,
        MaxReplicas: 50,
        MinThreadsBaseline: 2,
        MinThreadsMax: 200,
        TargetCpuUtilization: 0.7,
        StarvationQueueLength: 10,
        StarvationSchedulingDelay: TimeSpan.FromMilliseconds(50),
        Tolerance: 0.1,
        ScaleUpStabilizationWindow: TimeSpan.Zero,
        ScaleDownStabilizationWindow: TimeSpan.FromSeconds(300),
        ScaleUpLimitPercent: 100,
        ScaleUpLimitPods: 4,
        ScaleUpPeriod: TimeSpan.FromSeconds(15),
        MaxStaleness: TimeSpan.FromSeconds(60),
        PodSignalInterval: TimeSpan.FromSeconds(1));

    /// <summary>Just over the replica loop's staleness bound (60 s).</summary>
    public static readonly TimeSpan StaleForReplicas = Policy.MaxStaleness + TimeSpan.FromMilliseconds(1);

    /// <summary>Just over the min-threads loop's staleness bound (3 × 1 s).</summary>
    public static readonly TimeSpan StaleForMinThreads = Policy.PodSignalMaxAge + TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// A replica history that has watched a whole scale-down window in which everything recommended the
    /// minimum: reductions act at once, so a case shows the recommendation itself, not the stabilisation.
    /// </summary>
    public static RecommendationHistory SettledReplicas { get; } =
        new([new TimedRecommendation(Now.AddSeconds(-15), Policy.MinReplicas)], [], Now.AddHours(-1));

    /// <summary>The same for min threads: a whole window observed, the baseline recommended a second ago.</summary>
    public static RecommendationHistory SettledMinThreads { get; } =
        new([new TimedRecommendation(Now.AddSeconds(-1), Policy.MinThreadsBaseline)], [], Now.AddHours(-1));

    /// <summary>One pod's reading; see the remarks for what its sizing fields make it need.</summary>
    public static PodSignals Pod(double? cpu, double? delayMs = 1, double? queue = 0, TimeSpan? age = null, string name = "pod-0",
        double? busy = 20, double? workItemRate = 100, double? queueGrowth = null, double? requestMs = 200, double? threads = 24) =>
        new(name, Now - (age ?? TimeSpan.Zero), cpu, delayMs / 1000, queue, ThreadCount: threads, RequestRate: 50, LatencyP95Seconds: 0.1, MinWorkerThreads: 16)
        {
            BusyThreads = busy,
            WorkItemRate = workItemRate,
            QueueGrowthRate = queueGrowth,
            MeanRequestSeconds = requestMs / 1000,
        };

    public static PodSignals Unsampled(string name = "pod-x") => new(name, null, null, null, null, null, null, null, null);

    public static IReadOnlyList<PodSignals> Pods(int count, double? cpu, double? delayMs = 1, double? queue = 0, TimeSpan? age = null, double? busy = 20) =>
        Enumerable.Range(0, count).Select(i => Pod(cpu, delayMs, queue, age, $"pod-{i}", busy)).ToList();

    public static IReadOnlyList<PodSignals> SampledAt(this IReadOnlyList<PodSignals> pods, DateTimeOffset time) =>
        pods.Select(p => p.SampleTime is null ? p : p with { SampleTime = time }).ToList();

    /// <summary>A replica decision with min threads at 16 (which it must leave alone).</summary>
    public static DecisionOutcome DecideReplicas(IReadOnlyList<PodSignals> pods, int replicas, RecommendationHistory? history = null,
        AutoscalerPolicy? policy = null, DateTimeOffset? now = null) =>
        ScalingDecider.DecideReplicas(new DecisionInput(policy ?? Policy, pods, replicas, 16, now ?? Now), history ?? SettledReplicas);

    /// <summary>A min-threads decision with replicas at 2 (which it must leave alone).</summary>
    public static DecisionOutcome DecideMinThreads(IReadOnlyList<PodSignals> pods, int minThreads, RecommendationHistory? history = null,
        AutoscalerPolicy? policy = null, DateTimeOffset? now = null) =>
        ScalingDecider.DecideMinThreads(new DecisionInput(policy ?? Policy, pods, 2, minThreads, now ?? Now), history ?? SettledMinThreads);

    /// <summary>The reasons of the rules that bound, in order.</summary>
    public static IReadOnlyList<string> LimitReasons(this Decision decision) => decision.Limits.Select(l => l.Reason).ToList();

    /// <summary>
    /// The limits a case expects when it names none: its reason alone when that is a limit's reason
    /// (a limit's reason becomes the decision's), none otherwise.
    /// </summary>
    public static IReadOnlyList<string> LimitsImpliedBy(string reason) =>
        reason is DecisionReasons.AtMaxReplicas or DecisionReasons.AtMinReplicas or DecisionReasons.ScaleDownStabilized
            or DecisionReasons.ScaleUpStabilized or DecisionReasons.ScaleUpLimited or DecisionReasons.AtMaxMinThreads
            or DecisionReasons.PodsUnread or DecisionReasons.MinThreadsInUse
            ? [reason]
            : [];
}
