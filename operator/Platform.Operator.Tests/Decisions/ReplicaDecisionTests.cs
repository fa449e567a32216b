using Platform.Operator.Decisions;
using static Platform.Operator.Tests.Decisions.DecisionFixtures;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// One replica decision per case (<see cref="ScalingDecider.DecideReplicas"/>), from a settled history
/// (<see cref="DecisionFixtures.SettledReplicas"/>) unless the case says otherwise.
/// </summary>
public sealed class ReplicaDecisionTests
{
    public sealed record ReplicaCase(
        string Name,
        IReadOnlyList<PodSignals> Pods,
        int CurrentReplicas,
        Regime Regime,
        ReplicaAction Action,
        int DesiredReplicas,
        string Reason)
    {
        public RecommendationHistory History { get; init; } = SettledReplicas;

        public AutoscalerPolicy Policy { get; init; } = DecisionFixtures.Policy;

        /// <summary>The reasons of the limits that bound, in order; by default those the reason implies.</summary>
        public IReadOnlyList<string>? Limits { get; init; }

        public override string ToString() => Name;
    }

    public static TheoryData<ReplicaCase> Saturation => new(
        new ReplicaCase("CPU exactly at target is saturation, inside the tolerance", Pods(4, 0.7), 4,
            Regime.Saturation, ReplicaAction.None, 4, DecisionReasons.WithinTolerance),
        new ReplicaCase("ratio exactly 1.1 is inside the tolerance", Pods(4, 0.77), 4,
            Regime.Saturation, ReplicaAction.None, 4, DecisionReasons.WithinTolerance),
        new ReplicaCase("ratio 1.1000001 is outside the tolerance: ceil(4 x 1.1000001) = 5", Pods(4, 0.7 * 1.1000001), 4,
            Regime.Saturation, ReplicaAction.ScaleUp, 5, DecisionReasons.Saturation),
        new ReplicaCase("ratio 2 doubles the replicas", Pods(3, 1.4), 3,
            Regime.Saturation, ReplicaAction.ScaleUp, 6, DecisionReasons.Saturation),
        new ReplicaCase("CPU is averaged over pods, as the HPA does: ceil(3 x 0.933 / 0.7) = 4", [Pod(0.4, name: "a"), Pod(1.0, name: "b"), Pod(1.4, name: "c")], 3,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("saturation adds pods even with starvation signals", Pods(3, 0.9, delayMs: 500, queue: 100), 3,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("an average above target adds pods although one pod starves", [Pod(0.2, delayMs: 400, name: "a"), Pod(1.6, name: "b")], 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 3, DecisionReasons.Saturation),
        new ReplicaCase("scale-up limit: 1 pod may become 5 (4 pods beat 100 %)", Pods(1, 7.0), 1,
            Regime.Saturation, ReplicaAction.ScaleUp, 5, DecisionReasons.ScaleUpLimited),
        new ReplicaCase("scale-up limit: 10 pods may become 20 (100 % beats 4 pods)", Pods(10, 1.4), 10,
            Regime.Saturation, ReplicaAction.ScaleUp, 20, DecisionReasons.Saturation),
        new ReplicaCase("scale-up limit: 10 pods wanting 30 get 20", Pods(10, 2.1), 10,
            Regime.Saturation, ReplicaAction.ScaleUp, 20, DecisionReasons.ScaleUpLimited),
        new ReplicaCase("scale-up limit: pods added earlier in the period count", Pods(5, 7.0), 5,
            Regime.Saturation, ReplicaAction.None, 5, DecisionReasons.ScaleUpLimited)
        {
            History = SettledReplicas with { ScaleUps = [new ScaleUpEvent(Now.AddSeconds(-10), 4)] },
        },
        new ReplicaCase("scale-up limit: pods added before the period do not count", Pods(5, 7.0), 5,
            Regime.Saturation, ReplicaAction.ScaleUp, 10, DecisionReasons.ScaleUpLimited)
        {
            History = SettledReplicas with { ScaleUps = [new ScaleUpEvent(Now.AddSeconds(-15), 4)] },
        },
        new ReplicaCase("scale-up is capped at max replicas", Pods(40, 1.4), 40,
            Regime.Saturation, ReplicaAction.ScaleUp, 50, DecisionReasons.AtMaxReplicas),
        new ReplicaCase("already at max replicas", Pods(50, 1.4), 50,
            Regime.Saturation, ReplicaAction.None, 50, DecisionReasons.AtMaxReplicas),
        new ReplicaCase("both the max and the scale-up limit bind, in that order: 100 wanted, 50 allowed, 20 this period", Pods(10, 7.0), 10,
            Regime.Saturation, ReplicaAction.ScaleUp, 20, DecisionReasons.ScaleUpLimited)
        {
            Limits = [DecisionReasons.AtMaxReplicas, DecisionReasons.ScaleUpLimited],
        },
        new ReplicaCase("the ratio applies to the pods that reported, not to pods still starting: ceil(2 x 1.5) = 3 < 4", Pods(2, 1.05), 4,
            Regime.Saturation, ReplicaAction.None, 4, DecisionReasons.Saturation),
        new ReplicaCase("the ratio over the reporting pods scales from them: ceil(2 x 3) = 6, not 4 x 3", Pods(2, 2.1), 4,
            Regime.Saturation, ReplicaAction.ScaleUp, 6, DecisionReasons.Saturation));

    public static TheoryData<ReplicaCase> Starvation => new(
        new ReplicaCase("starving pods are not scaled in for their low CPU", Pods(4, 0.05, delayMs: 400), 4,
            Regime.Starvation, ReplicaAction.None, 4, DecisionReasons.Starvation),
        new ReplicaCase("one starving pod among idle ones stops the scale-in", [Pod(0.05, delayMs: 400, name: "a"), Pod(0.05, name: "b"), Pod(0.05, name: "c")], 3,
            Regime.Starvation, ReplicaAction.None, 3, DecisionReasons.Starvation),
        new ReplicaCase("a queue alone above the threshold stops the scale-in", Pods(2, 0.1, queue: 10.001), 2,
            Regime.Starvation, ReplicaAction.None, 2, DecisionReasons.Starvation),
        new ReplicaCase("a queue exactly at the threshold does not stop it", Pods(2, 0.35, queue: 10), 2,
            Regime.Normal, ReplicaAction.ScaleDown, 1, DecisionReasons.Idle),
        new ReplicaCase("a delay exactly at the threshold does not stop it", Pods(2, 0.35, delayMs: 50), 2,
            Regime.Normal, ReplicaAction.ScaleDown, 1, DecisionReasons.Idle),
        new ReplicaCase("starvation never adds pods", Pods(2, 0.2, delayMs: 400, queue: 100), 2,
            Regime.Starvation, ReplicaAction.None, 2, DecisionReasons.Starvation),
        new ReplicaCase("starving pods within the tolerance stay as they are", Pods(4, 0.65, delayMs: 400), 4,
            Regime.Starvation, ReplicaAction.None, 4, DecisionReasons.WithinTolerance),
        new ReplicaCase("a hot pod beside idle ones is not starvation: it is judged on its own CPU", [Pod(1.95, delayMs: 900, queue: 300, name: "hot"), Pod(0.05, name: "idle-1"), Pod(0.05, name: "idle-2")], 3,
            Regime.Normal, ReplicaAction.None, 3, DecisionReasons.WithinTolerance));

    public static TheoryData<ReplicaCase> Normal => new(
        new ReplicaCase("CPU just below target without starvation is normal", Pods(4, 0.6999), 4,
            Regime.Normal, ReplicaAction.None, 4, DecisionReasons.WithinTolerance),
        new ReplicaCase("half the target scales in to ceil(4 x 0.5) = 2", Pods(4, 0.35), 4,
            Regime.Normal, ReplicaAction.ScaleDown, 2, DecisionReasons.Idle),
        new ReplicaCase("ratio exactly 0.9 is inside the tolerance", Pods(4, 0.63), 4,
            Regime.Normal, ReplicaAction.None, 4, DecisionReasons.WithinTolerance),
        new ReplicaCase("a scale-in to below min replicas stops at min replicas", Pods(4, 0.01), 4,
            Regime.Normal, ReplicaAction.ScaleDown, 3, DecisionReasons.AtMinReplicas)
        {
            Policy = Policy with { MinReplicas = 3 },
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-15), 3)] },
        },
        new ReplicaCase("at min replicas a lower want is bounded", Pods(2, 0.01), 2,
            Regime.Normal, ReplicaAction.None, 2, DecisionReasons.AtMinReplicas)
        {
            Policy = Policy with { MinReplicas = 2 },
        },
        new ReplicaCase("nothing left to reduce at one replica", Pods(1, 0.01), 1,
            Regime.Normal, ReplicaAction.None, 1, DecisionReasons.Idle),
        new ReplicaCase("a fresh history holds a scale-in until a whole window is observed", Pods(4, 0.35), 4,
            Regime.Normal, ReplicaAction.None, 4, DecisionReasons.ScaleDownStabilized)
        {
            History = RecommendationHistory.Empty,
        },
        new ReplicaCase("min replicas and the window both bind, in that order", Pods(4, 0.01), 4,
            Regime.Normal, ReplicaAction.None, 4, DecisionReasons.ScaleDownStabilized)
        {
            Policy = Policy with { MinReplicas = 3 },
            History = RecommendationHistory.Empty,
            Limits = [DecisionReasons.AtMinReplicas, DecisionReasons.ScaleDownStabilized],
        },
        new ReplicaCase("a higher recommendation inside the window holds a scale-in", Pods(4, 0.35), 4,
            Regime.Normal, ReplicaAction.None, 4, DecisionReasons.ScaleDownStabilized)
        {
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 4)] },
        },
        new ReplicaCase("the highest recommendation inside the window is applied, and named as the limit", Pods(4, 0.35), 4,
            Regime.Normal, ReplicaAction.ScaleDown, 3, DecisionReasons.ScaleDownStabilized)
        {
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 3), new TimedRecommendation(Now.AddSeconds(-301), 4)] },
        },
        new ReplicaCase("a scale-up stabilisation window takes the lowest recent recommendation", Pods(2, 1.4), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 3, DecisionReasons.ScaleUpStabilized)
        {
            Policy = Policy with { ScaleUpStabilizationWindow = TimeSpan.FromSeconds(60) },
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-59), 3)] },
        },
        new ReplicaCase("a recommendation just outside the scale-up window no longer holds it back", Pods(2, 1.4), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation)
        {
            Policy = Policy with { ScaleUpStabilizationWindow = TimeSpan.FromSeconds(60) },
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-60), 3), new TimedRecommendation(Now.AddSeconds(-15), 4)] },
        });

    public static TheoryData<ReplicaCase> Data => new(
        new ReplicaCase("a sample exactly MaxStaleness old is used", Pods(2, 1.4, age: Policy.MaxStaleness), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("a sample older than the pod-signal bound but within MaxStaleness is used", Pods(2, 1.4, age: TimeSpan.FromSeconds(30)), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("a sample just over MaxStaleness holds", Pods(2, 1.4, age: StaleForReplicas), 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsStale),
        new ReplicaCase("one stale pod holds", [Pod(1.4, name: "a"), Pod(1.4, age: StaleForReplicas, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsStale),
        new ReplicaCase("one pod without a sample holds", [Pod(0.1, delayMs: 900, name: "a"), Unsampled()], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a pod with null CPU holds", [Pod(0.1, delayMs: 900, name: "a"), Pod(null, delayMs: 900, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a pod with NaN CPU holds", [Pod(1.4, name: "a"), Pod(double.NaN, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a pod with infinite CPU holds", [Pod(1.4, name: "a"), Pod(double.PositiveInfinity, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a pod with neither delay nor queue holds", [Pod(0.1, delayMs: 900, name: "a"), Pod(0.1, delayMs: null, queue: null, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a pod with a NaN delay and no queue holds", [Pod(0.1, name: "a"), Pod(0.1, delayMs: double.NaN, queue: null, name: "b")], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("a null delay with the queue present is enough", Pods(2, 1.4, delayMs: null), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("a null queue with the delay present is enough", Pods(2, 1.4, queue: null), 2,
            Regime.Saturation, ReplicaAction.ScaleUp, 4, DecisionReasons.Saturation),
        new ReplicaCase("no pods at all holds", [], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing),
        new ReplicaCase("missing beats stale as the reason", [Pod(1.4, age: StaleForReplicas, name: "a"), Unsampled()], 2,
            Regime.Unknown, ReplicaAction.None, 2, DecisionReasons.MetricsMissing));

    public static TheoryData<ReplicaCase> Bounds => new(
        new ReplicaCase("replicas below min are raised to min, even without data", [], 1,
            Regime.Unknown, ReplicaAction.ScaleUp, 3, DecisionReasons.BelowMinReplicas)
        {
            Policy = Policy with { MinReplicas = 3 },
        },
        new ReplicaCase("replicas below min are raised to min, whatever the signals", Pods(2, 0.01), 0,
            Regime.Normal, ReplicaAction.ScaleUp, 1, DecisionReasons.BelowMinReplicas),
        new ReplicaCase("replicas above max are lowered to max, whatever the load", Pods(60, 1.4), 60,
            Regime.Saturation, ReplicaAction.ScaleDown, 50, DecisionReasons.AboveMaxReplicas),
        new ReplicaCase("replicas above max are lowered to max, even on a fresh history", Pods(60, 1.4), 60,
            Regime.Saturation, ReplicaAction.ScaleDown, 50, DecisionReasons.AboveMaxReplicas)
        {
            History = RecommendationHistory.Empty,
        },
        new ReplicaCase("replicas above max are lowered to max, even with stale data", Pods(60, 1.4, age: StaleForReplicas), 60,
            Regime.Unknown, ReplicaAction.ScaleDown, 50, DecisionReasons.AboveMaxReplicas));

    [Theory]
    [MemberData(nameof(Saturation))]
    [MemberData(nameof(Starvation))]
    [MemberData(nameof(Normal))]
    [MemberData(nameof(Data))]
    [MemberData(nameof(Bounds))]
    public void Decides_replicas(ReplicaCase c)
    {
        var decision = ScalingDecider.DecideReplicas(new DecisionInput(c.Policy, c.Pods, c.CurrentReplicas, 16, Now), c.History).Decision;

        Assert.Equal(
            (c.Regime, c.Action, c.DesiredReplicas, c.Reason),
            (decision.Regime, decision.ReplicaAction, decision.DesiredReplicas, decision.Reason));
        Assert.Equal(c.Limits ?? LimitsImpliedBy(c.Reason), decision.LimitReasons());
        // The replica loop decides replicas only; the other knob stays where it is.
        Assert.Equal((MinThreadsAction.None, 16), (decision.MinThreadsAction, decision.DesiredMinThreads));
        Assert.Equal(c.Reason is DecisionReasons.MetricsMissing or DecisionReasons.MetricsStale, decision.Holds);
        Assert.Equal(c.Action != ReplicaAction.None, decision.Acts);
        Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    public sealed record MessageCase(string Name, IReadOnlyList<PodSignals> Pods, int CurrentReplicas, string Message)
    {
        public RecommendationHistory History { get; init; } = SettledReplicas;

        public override string ToString() => Name;
    }

    public static TheoryData<MessageCase> Messages => new(
        new MessageCase("saturation", Pods(10, 1.4), 10,
            "average CPU 140 % of request over 10 pods (target 70 %) is above target: 20 replicas would bring it to target: replicas 10 -> 20"),
        new MessageCase("the scale-up limit", Pods(1, 7.0), 1,
            "average CPU 700 % of request over 1 pod (target 70 %) is above target: 10 replicas would bring it to target; "
            + "at most 100 % or 4 pods per 15 s (0 added in this period): replicas 1 -> 5"),
        new MessageCase("the max and the scale-up limit", Pods(10, 7.0), 10,
            "average CPU 700 % of request over 10 pods (target 70 %) is above target: 100 replicas would bring it to target; "
            + "spec.replicas.max is 50; at most 100 % or 4 pods per 15 s (0 added in this period): replicas 10 -> 20"),
        new MessageCase("within the tolerance", Pods(2, 0.75), 2,
            "average CPU 75 % of request over 2 pods (target 70 %) is within the 10 % tolerance: replicas stay at 2"),
        new MessageCase("idle", Pods(4, 0.35), 4,
            "average CPU 35 % of request over 4 pods (target 70 %) is below target: 2 replicas would carry the load: replicas 4 -> 2"),
        new MessageCase("starving pods are not scaled in", Pods(2, 0.2, delayMs: 400), 2,
            "average CPU 20 % of request over 2 pods (target 70 %) is below target, but pod-0, pod-1 starve: blocked threads, not idle ones, keep the CPU low: replicas stay at 2"),
        new MessageCase("a fresh history", Pods(4, 0.35), 4,
            "average CPU 35 % of request over 4 pods (target 70 %) is below target: 2 replicas would carry the load; "
            + "scaling in to 2 waits for a whole scale-down window of recommendations (0 s of 300 s observed): replicas stay at 4")
        {
            History = RecommendationHistory.Empty,
        },
        new MessageCase("a higher recommendation in the window", Pods(4, 0.35), 4,
            "average CPU 35 % of request over 4 pods (target 70 %) is below target: 2 replicas would carry the load; "
            + "scaling in to 2 waits: a higher recommendation is inside the scale-down window (300 s): replicas stay at 4")
        {
            History = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-100), 4)] },
        },
        new MessageCase("a pod without signals", [Pod(0.5), Unsampled()], 2,
            "1 of 2 pods (pod-x) have no fresh, complete signals: holding replicas at 2 and min threads at 16"),
        new MessageCase("stale signals", Pods(1, 0.5, age: StaleForReplicas), 2,
            "signals of 1 of 1 pods (pod-0) are older than 60 s: holding replicas at 2 and min threads at 16"),
        new MessageCase("no pods", [], 2,
            "no pod reported signals: holding replicas at 2 and min threads at 16"),
        new MessageCase("above max replicas", Pods(60, 1.4), 60,
            "replicas 60 are above spec.replicas.max (50): replicas 60 -> 50"));

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_names_its_numbers_and_limits(MessageCase c) =>
        Assert.Equal(c.Message, DecideReplicas(c.Pods, c.CurrentReplicas, c.History).Decision.Message);

    [Fact]
    public void Each_limit_has_its_own_message_in_the_order_applied()
    {
        var decision = DecideReplicas(Pods(10, 7.0), 10).Decision;

        Assert.Equal(
            [
                new Limit(DecisionReasons.AtMaxReplicas, "spec.replicas.max is 50"),
                new Limit(DecisionReasons.ScaleUpLimited, "at most 100 % or 4 pods per 15 s (0 added in this period)"),
            ],
            decision.Limits);
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

        var signals = DecideReplicas(pods, 3).Decision.Signals;

        Assert.Equal(
            (0.4, 0.300, 7.0, 30.0, 100.0, 0.250, 3),
            (Math.Round(signals.CpuUtilization!.Value, 12), signals.SchedulingDelaySeconds, signals.QueueLength, signals.ThreadCount, signals.RequestRate, signals.LatencyP95Seconds, signals.PodsWithData));
        Assert.Equal([("a", PodCause.Normal), ("b", PodCause.Starved), ("c", PodCause.Normal)], signals.Pods.Select(p => (p.Pod, p.Cause)));
    }

    [Fact]
    public void A_hold_still_lists_every_pod_and_what_was_wrong_with_it()
    {
        var signals = DecideReplicas([Pod(0.5, name: "a"), Unsampled("b"), Pod(0.5, age: StaleForReplicas, name: "c")], 3).Decision.Signals;

        Assert.Equal([("a", PodCause.Normal), ("b", PodCause.NoData), ("c", PodCause.NoData)], signals.Pods.Select(p => (p.Pod, p.Cause)));
        Assert.Equal(1, signals.PodsWithData);
    }

    [Fact]
    public void A_correction_into_bounds_counts_the_pods_it_adds_against_the_scale_up_limit()
    {
        var policy = Policy with { MinReplicas = 3 };
        var corrected = DecideReplicas([], 1, RecommendationHistory.Empty, policy);
        Assert.Equal((ReplicaAction.ScaleUp, 3), (corrected.Decision.ReplicaAction, corrected.Decision.DesiredReplicas));
        Assert.Empty(corrected.History.Recommendations);

        // 2 of this period's pods came from the correction: the period started at 1, so 1 + max(100 %, 4) = 5.
        var next = DecideReplicas(Pods(3, 7.0), 3, corrected.History, policy, Now.AddSeconds(5)).Decision;

        Assert.Equal((5, DecisionReasons.ScaleUpLimited), (next.DesiredReplicas, next.Reason));
    }

    [Fact]
    public void The_same_input_gives_the_same_decision()
    {
        var pods = Pods(3, 1.4);

        var first = DecideReplicas(pods, 3);
        var second = DecideReplicas(pods, 3);

        Assert.Equal(first.Decision with { Limits = [], Signals = DecisionSignals.None }, second.Decision with { Limits = [], Signals = DecisionSignals.None });
        Assert.Equal(first.Decision.Limits, second.Decision.Limits);
        Assert.Equal(first.Decision.Signals.Pods, second.Decision.Signals.Pods);
        Assert.Equal(first.History.Recommendations, second.History.Recommendations);
        Assert.Equal(first.History.ScaleUps, second.History.ScaleUps);
    }
}
