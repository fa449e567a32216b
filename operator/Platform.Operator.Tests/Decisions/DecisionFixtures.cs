using Platform.Operator.Decisions;

namespace Platform.Operator.Tests.Decisions;

/// <summary>The policy and pods the decision tests are written against: the CRD's defaults, replicas 1..50.</summary>
internal static class DecisionFixtures
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly AutoscalerPolicy Policy = new(
        MinReplicas: 1,
        MaxReplicas: 50,
        MinThreadsBaseline: 2,
        MinThreadsMax: 200,
        MinThreadsStep: 16,
        TargetCpuUtilization: 0.7,
        StarvationQueueLength: 10,
        StarvationSchedulingDelay: TimeSpan.FromMilliseconds(50),
        Tolerance: 0.1,
        ScaleUpStabilizationWindow: TimeSpan.Zero,
        ScaleDownStabilizationWindow: TimeSpan.FromSeconds(300),
        ScaleUpLimitPercent: 100,
        ScaleUpLimitPods: 4,
        ScaleUpPeriod: TimeSpan.FromSeconds(15),
        MaxStaleness: TimeSpan.FromSeconds(60));

    /// <summary>
    /// A history that has watched a whole scale-down window in which everything recommended the minimum:
    /// reductions act at once, so a case shows the recommendation itself rather than the stabilisation.
    /// </summary>
    public static RecommendationHistory Settled { get; } =
        new([new TimedRecommendation(Now.AddSeconds(-15), Policy.MinReplicas, Policy.MinThreadsBaseline)], [], Now.AddHours(-1));

    public static PodSignals Pod(double? cpu, double? delayMs = 1, double? queue = 0, TimeSpan? age = null, string name = "pod-0") =>
        new(name, Now - (age ?? TimeSpan.Zero), cpu, delayMs / 1000, queue, ThreadCount: 20, RequestRate: 50, LatencyP95Seconds: 0.1, MinWorkerThreads: 16);

    public static PodSignals Unsampled(string name = "pod-x") => new(name, null, null, null, null, null, null, null, null);

    public static IReadOnlyList<PodSignals> Pods(int count, double? cpu, double? delayMs = 1, double? queue = 0, TimeSpan? age = null) =>
        Enumerable.Range(0, count).Select(i => Pod(cpu, delayMs, queue, age, $"pod-{i}")).ToList();

    public static IReadOnlyList<PodSignals> SampledAt(this IReadOnlyList<PodSignals> pods, DateTimeOffset time) =>
        pods.Select(p => p with { SampleTime = time }).ToList();

    public static DecisionOutcome Decide(IReadOnlyList<PodSignals> pods, int replicas, int minThreads, RecommendationHistory? history = null,
        AutoscalerPolicy? policy = null, DateTimeOffset? now = null) =>
        ScalingDecider.Decide(new DecisionInput(policy ?? Policy, pods, replicas, minThreads, now ?? Now), history ?? Settled);
}
