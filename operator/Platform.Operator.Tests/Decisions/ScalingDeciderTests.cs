using Platform.Operator.Decisions;
using static Platform.Operator.Tests.Decisions.DecisionFixtures;

namespace Platform.Operator.Tests.Decisions;

/// <summary>One decision per case, from a history that has settled (see <see cref="DecisionFixtures.Settled"/>) unless the case says otherwise.</summary>
public sealed class ScalingDeciderTests
{
    public sealed record DecisionCase(
        string Name,
        IReadOnlyList<PodSignals> Pods,
        int CurrentReplicas,
        int CurrentMinThreads,
        Regime Regime,
        ReplicaAction ReplicaAction,
        int DesiredReplicas,
        MinThreadsAction MinThreadsAction,
        int DesiredMinThreads,
        string Reason)
    {
        public RecommendationHistory History { get; init; } = Settled;

        public AutoscalerPolicy Policy { get; init; } = DecisionFixtures.Policy;

        public override string ToString() => Name;
    }

    private static readonly TimeSpan Stale = Policy.MaxStaleness + TimeSpan.FromMilliseconds(1);

    public static TheoryData<DecisionCase> Saturation => new(
        new DecisionCase("CPU exactly at target is saturation, inside the tolerance", Pods(4, 0.7), 4, 16,
            Regime.Saturation, ReplicaAction.None, 4, MinThreadsAction.None, 16, DecisionReasons.WithinTolerance),
        new DecisionCase("ratio exactly 1.1 is inside the tolerance", Pods(4, 0.77), 4, 16,
            Regime.Saturation, ReplicaAction.None, 4, MinThreadsAction.None, 16, DecisionReasons.WithinTolerance),
        new DecisionCase("ratio 1.1000001 is outside the tolerance: ceil(4 x 1.1000001) = 5", Pods(4, 0.7 * 1.1000001), 4, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 5, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("ratio 2 doubles the replicas", Pods(3, 1.4), 3, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 6, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("CPU is averaged over pods, as the HPA does", [Pod(0.4, name: "a"), Pod(1.0, name: "b"), Pod(1.4, name: "c")], 3, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("saturation never raises threads, even with starvation signals", Pods(3, 0.9, delayMs: 500, queue: 100), 3, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("scale-up limit: 1 pod may become 5 (4 pods beat 100 %)", Pods(1, 7.0), 1, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 5, MinThreadsAction.None, 16, DecisionReasons.ScaleUpLimited),
        new DecisionCase("scale-up limit: 10 pods may become 20 (100 % beats 4 pods)", Pods(10, 1.4), 10, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 20, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("scale-up limit: 10 pods wanting 30 get 20", Pods(10, 2.1), 10, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 20, MinThreadsAction.None, 16, DecisionReasons.ScaleUpLimited),
        new DecisionCase("scale-up limit: pods added earlier in the period count", Pods(5, 7.0), 5, 16,
            Regime.Saturation, ReplicaAction.None, 5, MinThreadsAction.None, 16, DecisionReasons.ScaleUpLimited)
        {
            History = Settled with { ScaleUps = [new ScaleUpEvent(Now.AddSeconds(-10), 4)] },
        },
        new DecisionCase("scale-up limit: pods added before the period do not count", Pods(5, 7.0), 5, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 10, MinThreadsAction.None, 16, DecisionReasons.ScaleUpLimited)
        {
            History = Settled with { ScaleUps = [new ScaleUpEvent(Now.AddSeconds(-15), 4)] },
        },
        new DecisionCase("scale-up is capped at max replicas", Pods(40, 1.4), 40, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 50, MinThreadsAction.None, 16, DecisionReasons.AtMaxReplicas),
        new DecisionCase("already at max replicas", Pods(50, 1.4), 50, 16,
            Regime.Saturation, ReplicaAction.None, 50, MinThreadsAction.None, 16, DecisionReasons.AtMaxReplicas),
        new DecisionCase("saturation holds min threads above baseline (no decay on a busy CPU)", Pods(2, 0.75), 2, 66,
            Regime.Saturation, ReplicaAction.None, 2, MinThreadsAction.None, 66, DecisionReasons.WithinTolerance),
        new DecisionCase("the ratio applies to the pods that reported, not to pods still starting", Pods(2, 1.05), 4, 16,
            Regime.Saturation, ReplicaAction.None, 4, MinThreadsAction.None, 16, DecisionReasons.Saturation));

    public static TheoryData<DecisionCase> Starvation => new(
        new DecisionCase("queue exactly at the threshold is not starvation", Pods(2, 0.65, queue: 10), 2, 2,
            Regime.Normal, ReplicaAction.None, 2, MinThreadsAction.None, 2, DecisionReasons.WithinTolerance),
        new DecisionCase("queue just above the threshold is starvation", Pods(2, 0.65, queue: 10.001), 2, 2,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 18, DecisionReasons.Starvation),
        new DecisionCase("delay exactly at the threshold is not starvation", Pods(2, 0.65, delayMs: 50), 2, 2,
            Regime.Normal, ReplicaAction.None, 2, MinThreadsAction.None, 2, DecisionReasons.WithinTolerance),
        new DecisionCase("delay just above the threshold is starvation", Pods(2, 0.65, delayMs: 50.001), 2, 2,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 18, DecisionReasons.Starvation),
        new DecisionCase("the worst pod decides starvation", [Pod(0.3, delayMs: 1, name: "a"), Pod(0.3, delayMs: 400, name: "b")], 2, 16,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new DecisionCase("a null delay with the queue present is enough", Pods(2, 0.2, delayMs: null, queue: 50), 2, 16,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new DecisionCase("a null queue with the delay present is enough", Pods(2, 0.2, delayMs: 420, queue: null), 2, 16,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new DecisionCase("starving pods are not scaled in for their low CPU", Pods(4, 0.05, delayMs: 400), 4, 16,
            Regime.Starvation, ReplicaAction.None, 4, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new DecisionCase("CPU just below target with starvation signals is starvation", Pods(4, 0.6999, delayMs: 400), 4, 16,
            Regime.Starvation, ReplicaAction.None, 4, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new DecisionCase("a raise is capped at max min threads", Pods(2, 0.2, delayMs: 400), 2, 190,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Raise, 200, DecisionReasons.Starvation),
        new DecisionCase("at max min threads nothing more is done", Pods(2, 0.2, delayMs: 400), 2, 200,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.None, 200, DecisionReasons.AtMaxMinThreads));

    public static TheoryData<DecisionCase> Normal => new(
        new DecisionCase("CPU just below target without starvation is normal", Pods(4, 0.6999), 4, 2,
            Regime.Normal, ReplicaAction.None, 4, MinThreadsAction.None, 2, DecisionReasons.WithinTolerance),
        new DecisionCase("half the target scales in to ceil(4 x 0.5) = 2", Pods(4, 0.35), 4, 2,
            Regime.Normal, ReplicaAction.ScaleDown, 2, MinThreadsAction.None, 2, DecisionReasons.Idle),
        new DecisionCase("ratio exactly 0.9 is inside the tolerance", Pods(4, 0.63), 4, 2,
            Regime.Normal, ReplicaAction.None, 4, MinThreadsAction.None, 2, DecisionReasons.WithinTolerance),
        new DecisionCase("min threads decay one step", Pods(2, 0.65), 2, 50,
            Regime.Normal, ReplicaAction.None, 2, MinThreadsAction.Lower, 34, DecisionReasons.Idle),
        new DecisionCase("min threads decay to baseline, not below", Pods(2, 0.65), 2, 10,
            Regime.Normal, ReplicaAction.None, 2, MinThreadsAction.Lower, 2, DecisionReasons.Idle),
        new DecisionCase("scale-in stops at min replicas", Pods(4, 0.01), 4, 2,
            Regime.Normal, ReplicaAction.ScaleDown, 3, MinThreadsAction.None, 2, DecisionReasons.Idle)
        {
            Policy = Policy with { MinReplicas = 3 },
            History = Settled with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-15), 3, 2)] },
        },
        new DecisionCase("nothing left to reduce at min replicas and baseline", Pods(1, 0.01), 1, 2,
            Regime.Normal, ReplicaAction.None, 1, MinThreadsAction.None, 2, DecisionReasons.Idle),
        new DecisionCase("a fresh history holds reductions until a whole window is observed", Pods(4, 0.35), 4, 50,
            Regime.Normal, ReplicaAction.None, 4, MinThreadsAction.None, 50, DecisionReasons.ScaleDownStabilized)
        {
            History = RecommendationHistory.Empty,
        },
        new DecisionCase("a higher recommendation inside the window holds a scale-in", Pods(4, 0.35), 4, 2,
            Regime.Normal, ReplicaAction.None, 4, MinThreadsAction.None, 2, DecisionReasons.ScaleDownStabilized)
        {
            History = Settled with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 4, 2)] },
        },
        new DecisionCase("the highest recommendation inside the window is applied", Pods(4, 0.35), 4, 2,
            Regime.Normal, ReplicaAction.ScaleDown, 3, MinThreadsAction.None, 2, DecisionReasons.Idle)
        {
            History = Settled with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 3, 2), new TimedRecommendation(Now.AddSeconds(-301), 4, 2)] },
        },
        new DecisionCase("a scale-up stabilisation window takes the lowest recent recommendation", Pods(2, 1.4), 2, 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 3, MinThreadsAction.None, 2, DecisionReasons.Saturation)
        {
            Policy = Policy with { ScaleUpStabilizationWindow = TimeSpan.FromSeconds(60) },
            History = Settled with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-59), 3, 2)] },
        });

    public static TheoryData<DecisionCase> Data => new(
        new DecisionCase("a sample exactly MaxStaleness old is used", Pods(2, 1.4, age: Policy.MaxStaleness), 2, 16,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new DecisionCase("a sample just over MaxStaleness holds everything", Pods(2, 1.4, age: Stale), 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsStale),
        new DecisionCase("one stale pod holds everything", [Pod(1.4, name: "a"), Pod(1.4, age: Stale, name: "b")], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsStale),
        new DecisionCase("one pod without a sample holds everything", [Pod(0.1, delayMs: 900, name: "a"), Unsampled()], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new DecisionCase("a pod with null CPU holds everything", [Pod(0.1, delayMs: 900, name: "a"), Pod(null, delayMs: 900, name: "b")], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new DecisionCase("a pod with NaN CPU holds everything", [Pod(1.4, name: "a"), Pod(double.NaN, name: "b")], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new DecisionCase("a pod with neither delay nor queue holds everything", [Pod(0.1, delayMs: 900, name: "a"), Pod(0.1, delayMs: null, queue: null, name: "b")], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new DecisionCase("no pods at all holds everything", [], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new DecisionCase("missing beats stale as the reason", [Pod(1.4, age: Stale, name: "a"), Unsampled()], 2, 16,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing));

    public static TheoryData<DecisionCase> Bounds => new(
        new DecisionCase("replicas below min are raised to min, even without data", [], 1, 16,
            Regime.Unknown, ReplicaAction.ScaleUp, 3, MinThreadsAction.None, 16, DecisionReasons.BelowMinReplicas)
        {
            Policy = Policy with { MinReplicas = 3 },
        },
        new DecisionCase("replicas above max are lowered to max, whatever the load", Pods(60, 1.4), 60, 16,
            Regime.Saturation, ReplicaAction.ScaleDown, 50, MinThreadsAction.None, 16, DecisionReasons.AboveMaxReplicas),
        new DecisionCase("min threads below baseline are raised to baseline", Pods(2, 0.65), 2, 1,
            Regime.Normal, ReplicaAction.None, 2, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinThreadsBaseline),
        new DecisionCase("min threads below baseline are raised to baseline, even without data", [Unsampled()], 2, 1,
            Regime.Unknown, ReplicaAction.None, 2, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinThreadsBaseline),
        new DecisionCase("min threads above max are lowered to max", Pods(2, 0.2, delayMs: 400), 2, 300,
            Regime.Starvation, ReplicaAction.None, 2, MinThreadsAction.Lower, 200, DecisionReasons.AboveMinThreadsMax),
        new DecisionCase("both knobs out of bounds are both corrected, replicas named first", Pods(2, 0.65), 0, 1,
            Regime.Normal, ReplicaAction.ScaleUp, 1, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinReplicas));

    [Theory]
    [MemberData(nameof(Saturation))]
    [MemberData(nameof(Starvation))]
    [MemberData(nameof(Normal))]
    [MemberData(nameof(Data))]
    [MemberData(nameof(Bounds))]
    public void Decides(DecisionCase c)
    {
        var decision = ScalingDecider.Decide(new DecisionInput(c.Policy, c.Pods, c.CurrentReplicas, c.CurrentMinThreads, Now), c.History).Decision;

        Assert.Equal(
            (c.Regime, c.ReplicaAction, c.DesiredReplicas, c.MinThreadsAction, c.DesiredMinThreads, c.Reason),
            (decision.Regime, decision.ReplicaAction, decision.DesiredReplicas, decision.MinThreadsAction, decision.DesiredMinThreads, decision.Reason));
        Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    [Fact]
    public void The_message_is_one_sentence_with_the_numbers()
    {
        var decision = Decide(Pods(3, 0.18, delayMs: 420), 3, 16).Decision;

        Assert.Equal("scheduling delay p90 420 ms > 50 ms with CPU at 18 % of request (target 70 %): min threads 16 -> 32", decision.Message);
    }

    [Fact]
    public void Messages_name_the_reason_for_holding()
    {
        Assert.Equal("no usable metrics (CPU and a starvation signal) from 1 of 2 pods (pod-x): holding replicas at 2 and min threads at 16",
            Decide([Pod(0.5), Unsampled()], 2, 16).Decision.Message);
        Assert.Equal("metrics of 1 of 1 pods (pod-0) are older than 60 s: holding replicas at 2 and min threads at 16",
            Decide(Pods(1, 0.5, age: Stale), 2, 16).Decision.Message);
        Assert.Equal("CPU at 140 % of request over 10 pods is at or above the target 70 %: replicas 10 -> 20",
            Decide(Pods(10, 1.4), 10, 16).Decision.Message);
        Assert.Equal("replicas 60 are above spec.replicas.max (50): replicas 60 -> 50",
            Decide(Pods(60, 1.4), 60, 16).Decision.Message);
    }

    [Fact]
    public void Signals_aggregate_cpu_by_average_and_starvation_by_the_worst_pod()
    {
        PodSignals[] pods =
        [
            new("a", Now, 0.2, 0.010, 3, 10, 40, 0.100, 16),
            new("b", Now, 0.4, 0.300, 1, 30, 60, 0.250, 16),
            new("c", Now, 0.6, null, 7, null, null, null, 16),
        ];

        var signals = Decide(pods, 3, 16).Decision.Signals;

        Assert.Equal(new DecisionSignals(0.4, 0.300, 7, 30, 100, 0.250, 3), signals with { CpuUtilization = Math.Round(signals.CpuUtilization!.Value, 12) });
    }

    [Fact]
    public void The_same_input_gives_the_same_decision()
    {
        var pods = Pods(3, 0.18, delayMs: 420);

        var first = Decide(pods, 3, 16);
        var second = Decide(pods, 3, 16);

        Assert.Equal(first.Decision, second.Decision);
        Assert.Equal(first.History.Recommendations, second.History.Recommendations);
    }
}
