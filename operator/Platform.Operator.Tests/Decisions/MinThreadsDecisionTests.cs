using Platform.Operator.Decisions;
using static Platform.Operator.Tests.Decisions.DecisionFixtures;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// One min-threads decision per case (<see cref="ScalingDecider.DecideMinThreads"/>), from a settled history
/// (<see cref="DecisionFixtures.SettledMinThreads"/>) unless the case says otherwise. A default pod that starves
/// needs ceil(28.94 + queue / 10) min threads, and its 20 busy threads put the lowering target at 30 (see the fixtures).
/// </summary>
public sealed class MinThreadsDecisionTests
{
    public sealed record MinThreadsCase(
        string Name,
        IReadOnlyList<PodSignals> Pods,
        int CurrentMinThreads,
        Regime Regime,
        MinThreadsAction Action,
        int DesiredMinThreads,
        string Reason)
    {
        public RecommendationHistory History { get; init; } = SettledMinThreads;

        public AutoscalerPolicy Policy { get; init; } = DecisionFixtures.Policy;

        /// <summary>The reasons of the limits that bound, in order; by default those the reason implies.</summary>
        public IReadOnlyList<string>? Limits { get; init; }

        public override string ToString() => Name;
    }

    public static TheoryData<MinThreadsCase> Thresholds => new(
        new MinThreadsCase("queue exactly at the threshold is not starvation", Pods(2, 0.65, queue: 10), 16,
            Regime.Normal, MinThreadsAction.None, 16, DecisionReasons.Idle),
        new MinThreadsCase("queue just above the threshold is starvation: ceil(28.94 + 10.001 / 10) = 30", Pods(2, 0.65, queue: 10.001), 16,
            Regime.Starvation, MinThreadsAction.Raise, 30, DecisionReasons.Starvation),
        new MinThreadsCase("delay exactly at the threshold is not starvation", Pods(2, 0.65, delayMs: 50), 16,
            Regime.Normal, MinThreadsAction.None, 16, DecisionReasons.Idle),
        new MinThreadsCase("delay just above the threshold is starvation: 20 + 2 sqrt(20) = 28.94", Pods(2, 0.65, delayMs: 50.001), 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation),
        new MinThreadsCase("CPU just below target with a starvation signal is starvation", Pods(1, 0.6999, delayMs: 400), 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation),
        new MinThreadsCase("CPU exactly at target is saturation, whatever the queue and delay", Pods(2, 0.7, delayMs: 400, queue: 100), 16,
            Regime.Saturation, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new MinThreadsCase("a null delay with the queue present is enough: 28.94 + 50 / 10 = 33.94", Pods(2, 0.2, delayMs: null, queue: 50), 16,
            Regime.Starvation, MinThreadsAction.Raise, 34, DecisionReasons.Starvation),
        new MinThreadsCase("a NaN delay with the queue present is enough", Pods(1, 0.2, delayMs: double.NaN, queue: 50), 16,
            Regime.Starvation, MinThreadsAction.Raise, 34, DecisionReasons.Starvation),
        new MinThreadsCase("a null queue with the delay present is enough", Pods(2, 0.2, delayMs: 420, queue: null), 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation));

    public static TheoryData<MinThreadsCase> PerPodCause => new(
        new MinThreadsCase("a hot pod with a long queue and delay beside two idle pods raises nothing",
            [Pod(1.95, delayMs: 900, queue: 300, name: "hot", busy: 60), Pod(0.05, name: "idle-1", busy: 2), Pod(0.05, name: "idle-2", busy: 2)], 16,
            Regime.Saturation, MinThreadsAction.None, 16, DecisionReasons.Saturation),
        new MinThreadsCase("a starved pod beside a saturated one raises for the starved one only (the hot one would need 200)",
            [Pod(1.2, delayMs: 900, queue: 300, name: "hot", busy: 100, requestMs: 1000), Pod(0.2, delayMs: 400, name: "starved")], 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation),
        new MinThreadsCase("idle pods do not dilute a starved one",
            [Pod(0.05, name: "idle-1", busy: 1), Pod(0.2, delayMs: 400, name: "starved"), Pod(0.05, name: "idle-2", busy: 1)], 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation),
        new MinThreadsCase("the neediest starved pod decides", [Pod(0.2, delayMs: 400, name: "a"), Pod(0.2, queue: 50, name: "b")], 16,
            Regime.Starvation, MinThreadsAction.Raise, 34, DecisionReasons.Starvation));

    public static TheoryData<MinThreadsCase> Sizing => new(
        new MinThreadsCase("a starved pod gets what it needs in one raise: R = 0.2 x 150 = 30, 30 + 2 sqrt(30) + 0.2 x 600 / 2 = 100.95",
            [Pod(0.1, queue: 600, busy: 30, workItemRate: 150)], 2,
            Regime.Starvation, MinThreadsAction.Raise, 101, DecisionReasons.Starvation),
        new MinThreadsCase("nothing completed in the interval: max(12 busy, 16 current) + 30 queued = 46",
            [Pod(0.1, queue: 30, busy: 12, workItemRate: 0)], 16,
            Regime.Starvation, MinThreadsAction.Raise, 46, DecisionReasons.Starvation),
        new MinThreadsCase("busy threads unknown: twice the current value", [Pod(0.1, delayMs: 400, busy: null, threads: null)], 16,
            Regime.Starvation, MinThreadsAction.Raise, 32, DecisionReasons.Starvation),
        new MinThreadsCase("a raise is capped at max min threads: 28.94 + 2000 / 10 = 228.94", Pods(2, 0.2, delayMs: 400, queue: 2000), 190,
            Regime.Starvation, MinThreadsAction.Raise, 200, DecisionReasons.AtMaxMinThreads),
        new MinThreadsCase("at max min threads nothing more is done", Pods(2, 0.2, delayMs: 400, queue: 2000), 200,
            Regime.Starvation, MinThreadsAction.None, 200, DecisionReasons.AtMaxMinThreads),
        new MinThreadsCase("starving pods that already have what they need drain", Pods(2, 0.2, delayMs: 400), 30,
            Regime.Starvation, MinThreadsAction.None, 30, DecisionReasons.StarvationDraining),
        new MinThreadsCase("a need equal to the current value drains", Pods(2, 0.2, delayMs: 400), 29,
            Regime.Starvation, MinThreadsAction.None, 29, DecisionReasons.StarvationDraining),
        new MinThreadsCase("starvation never lowers, however far above the need", Pods(2, 0.2, delayMs: 400), 150,
            Regime.Starvation, MinThreadsAction.None, 150, DecisionReasons.StarvationDraining),
        new MinThreadsCase("a raise does not wait for a window, even on a fresh history", Pods(2, 0.2, delayMs: 400), 2,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation)
        {
            History = RecommendationHistory.Empty,
        },
        new MinThreadsCase("a starved pod raises even when another pod has no reading", [Pod(0.2, delayMs: 400, name: "a"), Unsampled()], 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation));

    public static TheoryData<MinThreadsCase> Lowering => new(
        new MinThreadsCase("lowered to 1.5 x the busiest pod's busy threads", Pods(2, 0.65, busy: 10), 50,
            Regime.Normal, MinThreadsAction.Lower, 15, DecisionReasons.Idle),
        new MinThreadsCase("lowered when the target is exactly half the current value", Pods(2, 0.65, busy: 10), 30,
            Regime.Normal, MinThreadsAction.Lower, 15, DecisionReasons.Idle),
        new MinThreadsCase("kept when the target is more than half the current value: 15 x 2 > 29", Pods(2, 0.65, busy: 10), 29,
            Regime.Normal, MinThreadsAction.None, 29, DecisionReasons.MinThreadsInUse),
        new MinThreadsCase("kept, without a limit, when the pods use all of it", Pods(2, 0.65), 16,
            Regime.Normal, MinThreadsAction.None, 16, DecisionReasons.Idle),
        new MinThreadsCase("the lowering target is rounded up: ceil(1.5 x 7) = 11", Pods(2, 0.65, busy: 7), 40,
            Regime.Normal, MinThreadsAction.Lower, 11, DecisionReasons.Idle),
        new MinThreadsCase("the busiest pod sets the target", [Pod(0.65, name: "a", busy: 4), Pod(0.65, name: "b", busy: 10)], 50,
            Regime.Normal, MinThreadsAction.Lower, 15, DecisionReasons.Idle),
        new MinThreadsCase("the thread count stands in for unknown busy threads", [Pod(0.65, busy: null, threads: 10)], 50,
            Regime.Normal, MinThreadsAction.Lower, 15, DecisionReasons.Idle),
        new MinThreadsCase("lowered to baseline, not below", Pods(2, 0.65, busy: 0), 10,
            Regime.Normal, MinThreadsAction.Lower, 2, DecisionReasons.Idle),
        new MinThreadsCase("the baseline is the lowest target: max(8, ceil(1.5 x 1))", Pods(2, 0.65, busy: 1), 40,
            Regime.Normal, MinThreadsAction.Lower, 8, DecisionReasons.Idle)
        {
            Policy = Policy with { MinThreadsBaseline = 8 },
        },
        new MinThreadsCase("nothing left to lower at baseline", Pods(1, 0.01, busy: 0), 2,
            Regime.Normal, MinThreadsAction.None, 2, DecisionReasons.Idle),
        new MinThreadsCase("saturated pods give back the threads they do not use", Pods(2, 0.9, busy: 4), 50,
            Regime.Saturation, MinThreadsAction.Lower, 6, DecisionReasons.Saturation),
        new MinThreadsCase("a pod without a reading stops the lowering", [Pod(0.65, name: "a", busy: 4), Unsampled()], 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.PodsUnread),
        new MinThreadsCase("a pod older than 3 intervals stops the lowering", [Pod(0.65, name: "a", busy: 4), Pod(0.65, age: StaleForMinThreads, name: "b", busy: 4)], 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.PodsUnread),
        new MinThreadsCase("a pod without CPU stops the lowering", [Pod(0.65, name: "a", busy: 4), Pod(null, name: "b", busy: 4)], 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.PodsUnread),
        new MinThreadsCase("a pod that does not say how many threads it uses stops the lowering",
            [Pod(0.65, name: "a", busy: 4), Pod(0.65, name: "b", busy: null, threads: null)], 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.PodsUnread),
        new MinThreadsCase("an unread pod is no limit when nothing would be lowered anyway", [Pod(0.65, name: "a", busy: 20), Unsampled()], 16,
            Regime.Normal, MinThreadsAction.None, 16, DecisionReasons.Idle),
        new MinThreadsCase("a pod exactly 3 intervals old is fresh", Pods(2, 0.65, age: Policy.PodSignalMaxAge, busy: 4), 50,
            Regime.Normal, MinThreadsAction.Lower, 6, DecisionReasons.Idle),
        new MinThreadsCase("a fresh history holds a lowering until a whole window is observed", Pods(2, 0.65, busy: 4), 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.ScaleDownStabilized)
        {
            History = RecommendationHistory.Empty,
        },
        new MinThreadsCase("a higher recommendation inside the window holds a lowering", Pods(2, 0.65, busy: 4), 50,
            Regime.Normal, MinThreadsAction.None, 50, DecisionReasons.ScaleDownStabilized)
        {
            History = SettledMinThreads with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 50)] },
        },
        new MinThreadsCase("the highest recommendation inside the window is applied", Pods(2, 0.65, busy: 4), 50,
            Regime.Normal, MinThreadsAction.Lower, 30, DecisionReasons.ScaleDownStabilized)
        {
            History = SettledMinThreads with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-299), 30), new TimedRecommendation(Now.AddSeconds(-301), 50)] },
        },
        new MinThreadsCase("a scale-down window of zero lowers at once, even on a fresh history", Pods(2, 0.65, busy: 4), 50,
            Regime.Normal, MinThreadsAction.Lower, 6, DecisionReasons.Idle)
        {
            Policy = Policy with { ScaleDownStabilizationWindow = TimeSpan.Zero },
            History = RecommendationHistory.Empty,
        });

    public static TheoryData<MinThreadsCase> Data => new(
        new MinThreadsCase("no pods at all holds", [], 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new MinThreadsCase("no pod with a sample holds", [Unsampled("a"), Unsampled("b")], 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new MinThreadsCase("every pod older than 3 intervals holds", Pods(2, 0.2, delayMs: 400, age: StaleForMinThreads), 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsStale),
        new MinThreadsCase("a reading fresh enough for replicas is stale for min threads", Pods(2, 0.2, delayMs: 400, age: TimeSpan.FromSeconds(30)), 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsStale),
        new MinThreadsCase("no pod with CPU holds", Pods(2, null, delayMs: 400), 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new MinThreadsCase("no pod with a delay or a queue holds", Pods(2, 0.2, delayMs: null, queue: null), 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new MinThreadsCase("missing beats stale as the reason", [Pod(0.2, delayMs: 400, age: StaleForMinThreads, name: "a"), Unsampled()], 16,
            Regime.Unknown, MinThreadsAction.None, 16, DecisionReasons.MetricsMissing),
        new MinThreadsCase("one usable pod among missing and stale ones is enough to act",
            [Unsampled("a"), Pod(0.2, delayMs: 400, name: "b"), Pod(0.2, delayMs: 400, age: StaleForMinThreads, name: "c")], 16,
            Regime.Starvation, MinThreadsAction.Raise, 29, DecisionReasons.Starvation));

    public static TheoryData<MinThreadsCase> Bounds => new(
        new MinThreadsCase("min threads below baseline are raised to baseline", Pods(2, 0.65), 1,
            Regime.Normal, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinThreadsBaseline),
        new MinThreadsCase("min threads below baseline are raised to baseline, even without data", [Unsampled()], 1,
            Regime.Unknown, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinThreadsBaseline),
        new MinThreadsCase("min threads below baseline are raised to baseline only, even while pods starve", Pods(2, 0.2, delayMs: 400), 1,
            Regime.Starvation, MinThreadsAction.Raise, 2, DecisionReasons.BelowMinThreadsBaseline),
        new MinThreadsCase("min threads above max are lowered to max", Pods(2, 0.2, delayMs: 400), 300,
            Regime.Starvation, MinThreadsAction.Lower, 200, DecisionReasons.AboveMinThreadsMax),
        new MinThreadsCase("min threads above max are lowered to max, even without data and on a fresh history", [], 300,
            Regime.Unknown, MinThreadsAction.Lower, 200, DecisionReasons.AboveMinThreadsMax)
        {
            History = RecommendationHistory.Empty,
        });

    [Theory]
    [MemberData(nameof(Thresholds))]
    [MemberData(nameof(PerPodCause))]
    [MemberData(nameof(Sizing))]
    [MemberData(nameof(Lowering))]
    [MemberData(nameof(Data))]
    [MemberData(nameof(Bounds))]
    public void Decides_min_threads(MinThreadsCase c)
    {
        var decision = ScalingDecider.DecideMinThreads(new DecisionInput(c.Policy, c.Pods, 2, c.CurrentMinThreads, Now), c.History).Decision;

        Assert.Equal(
            (c.Regime, c.Action, c.DesiredMinThreads, c.Reason),
            (decision.Regime, decision.MinThreadsAction, decision.DesiredMinThreads, decision.Reason));
        Assert.Equal(c.Limits ?? LimitsImpliedBy(c.Reason), decision.LimitReasons());
        // The min-threads loop decides min threads only; the other knob stays where it is.
        Assert.Equal((ReplicaAction.None, 2), (decision.ReplicaAction, decision.DesiredReplicas));
        Assert.Equal(c.Reason is DecisionReasons.MetricsMissing or DecisionReasons.MetricsStale, decision.Holds);
        Assert.Equal(c.Action != MinThreadsAction.None, decision.Acts);
        Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    /// <summary>One starved pod's reading and the min threads Little's law gives it, worked out by hand in the name.</summary>
    public sealed record SizingCase(string Name, double? Busy, double? Rate, double? Growth, double? Queue, double? RequestMs, int Current, int Expected)
    {
        public double? Threads { get; init; }

        public double DrainSeconds { get; init; } = 2;

        public override string ToString() => Name;
    }

    // R is the offered load, hold x arrivals; square-root staffing adds 2 x sqrt(R); the queue adds hold x queued / drain.
    public static TheoryData<SizingCase> Needs => new(
        new SizingCase("synchronous requests: hold 30 / 150 = 0.2 s = the request, R = 0.2 x 150 = 30, 30 + 2 sqrt(30) = 40.95", 30, 150, 0, 0, 200, 16, 41),
        new SizingCase("a queue drains within the drain time: 40.95 + 0.2 x 100 / 2 = 50.95", 30, 150, null, 100, 200, 16, 51),
        new SizingCase("asynchronous requests hold a thread less than they last: hold 0.05, R = 10, 10 + 2 sqrt(10) + 0.05 x 40 / 2 = 17.32", 10, 200, 0, 40, 500, 16, 18),
        new SizingCase("a pool still growing: the request duration is the shorter hold, R = 0.1 x 100 = 10, 16.32 + 0.1 x 200 / 2 = 26.32", 60, 100, null, 200, 100, 16, 27),
        new SizingCase("a growing queue adds to the arrivals: R = 0.2 x (100 + 50) = 30, 40.95 + 0.2 x 100 / 2 = 50.95", 20, 100, 50, 100, 200, 16, 51),
        new SizingCase("a shrinking queue takes from them: R = 0.2 x (100 - 40) = 12, 12 + 2 sqrt(12) + 0.2 x 20 / 2 = 20.93", 20, 100, -40, 20, 200, 16, 21),
        new SizingCase("arrivals never go below zero: R = 0, 0.2 x 60 / 2 = 6", 20, 100, -150, 60, 200, 16, 6),
        new SizingCase("without a request duration the hold is busy / rate: R = 0.2 x 100 = 20, 20 + 2 sqrt(20) = 28.94", 20, 100, 0, 0, null, 16, 29),
        new SizingCase("a zero request duration is no measurement", 20, 100, 0, 0, 0, 16, 29),
        new SizingCase("a NaN request duration is no measurement", 20, 100, 0, 0, double.NaN, 16, 29),
        new SizingCase("an unknown growth is none", 20, 100, null, 0, 200, 16, 29),
        new SizingCase("the need is rounded up: hold 0.35, R = 7, 7 + 2 sqrt(7) + 0.35 x 5 / 2 = 13.17", 7, 20, 0, 5, null, 16, 14),
        new SizingCase("a need just over a whole number rounds up: R = 16, 16 + 2 x 4 + 0.16 x 0.001 / 2 = 24.00008", 16, 100, 0, 0.001, 160, 16, 25),
        new SizingCase("a negative queue counts as none", 20, 100, 0, -5, 200, 16, 29),
        new SizingCase("a shorter drain time drains faster: 28.94 + 0.2 x 50 / 1 = 38.94", 20, 100, null, 50, 200, 16, 39) { DrainSeconds = 1 },
        new SizingCase("a steady queue while every min thread is busy is demand (a closed loop): 20 busy + 30 queued = 50, more than 28.94 + 3",
            20, 100, 0, 30, 200, 20, 50),
        new SizingCase("a queue its growth would build within the drain time (15/s x 2 s = 30) is not steady: R = 23, 23 + 2 sqrt(23) + 3 = 35.59",
            20, 100, 15, 30, 200, 20, 36),
        new SizingCase("a steady queue with min threads to spare is the pool's to serve (17 busy of 20): R = 17, 17 + 2 sqrt(17) + 1.2 = 26.45",
            17, 85, 0, 12, 200, 20, 27),
        new SizingCase("a pool that can serve more than arrives drains its queue already, however slowly: R = 0.858 x 244 = 209.3, + 28.9 + 64.8 = 302.9",
            235, 274, -30, 151, 981, 232, 303),
        new SizingCase("arrivals under nine tenths of what the busy threads serve (80 of 20 / 0.2 = 100) are no steady demand: R = 16, 24 + 3 = 27",
            20, 80, 0, 30, 200, 20, 27),
        new SizingCase("nothing completed: max(12 busy, 16 current) + 30 queued = 46", 12, 0, 0, 30, 200, 16, 46),
        new SizingCase("nothing completed: busy threads beyond the current value count, 40 + 30 = 70", 40, 0, 0, 30, 200, 16, 70),
        new SizingCase("an unknown completion rate is none completed", 12, null, 0, 30, 200, 16, 46),
        new SizingCase("a NaN completion rate is none completed", 12, double.NaN, 0, 30, 200, 16, 46),
        new SizingCase("nothing completed and nothing queued: the current value", 12, 0, 0, null, 200, 16, 16),
        new SizingCase("busy threads and thread count unknown: twice the current value", null, 150, 0, 100, 200, 16, 32),
        new SizingCase("busy threads unknown: the thread count stands in, R = 0.2 x 150 = 30, 40.95", null, 150, 0, 0, 200, 16, 41) { Threads = 30 },
        new SizingCase("NaN busy threads: the thread count stands in", double.NaN, 150, 0, 0, 200, 16, 41) { Threads = 30 });

    [Theory]
    [MemberData(nameof(Needs))]
    public void Sizes_a_starved_pod_with_little_s_law(SizingCase c)
    {
        var pod = new PodSignals("pod-0", Now, 0.1, 0.4, c.Queue, c.Threads, null, null, c.Current)
        {
            BusyThreads = c.Busy,
            WorkItemRate = c.Rate,
            QueueGrowthRate = c.Growth,
            MeanRequestSeconds = c.RequestMs / 1000,
        };

        Assert.Equal(c.Expected, ScalingDecider.NeededMinThreads(pod, c.Current, TimeSpan.FromSeconds(c.DrainSeconds)));
    }

    [Fact]
    public void The_drain_time_is_two_intervals_and_a_reading_is_stale_after_three()
    {
        var fast = Policy with { PodSignalInterval = TimeSpan.FromMilliseconds(250) };

        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)), (ScalingDecider.DrainTime(Policy), Policy.PodSignalMaxAge));
        Assert.Equal((TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(750)), (ScalingDecider.DrainTime(fast), fast.PodSignalMaxAge));
    }

    [Fact]
    public void A_shorter_interval_drains_the_queue_sooner_and_so_sizes_higher()
    {
        var pods = Pods(1, 0.2, queue: 50);

        var everySecond = DecideMinThreads(pods, 2).Decision.DesiredMinThreads;
        var everyHalfSecond = DecideMinThreads(pods, 2, policy: Policy with { PodSignalInterval = TimeSpan.FromMilliseconds(500) }).Decision.DesiredMinThreads;

        // 28.94 + 0.2 x 50 / 2 s = 33.94; 28.94 + 0.2 x 50 / 1 s = 38.94.
        Assert.Equal((34, 39), (everySecond, everyHalfSecond));
    }

    [Fact]
    public void Each_pod_is_judged_on_its_own_and_only_starved_ones_are_sized()
    {
        PodSignals[] pods =
        [
            Pod(0.2, delayMs: 400, name: "starved"),
            Pod(1.2, delayMs: 400, queue: 300, name: "hot"),
            Pod(0.3, name: "calm"),
            Unsampled("silent"),
            Pod(0.2, delayMs: 400, age: StaleForMinThreads, name: "late"),
        ];

        var signals = DecideMinThreads(pods, 16).Decision.Signals;

        Assert.Equal(
            [("starved", PodCause.Starved, (int?)29), ("hot", PodCause.Saturated, null), ("calm", PodCause.Normal, null), ("silent", PodCause.NoData, null), ("late", PodCause.NoData, null)],
            signals.Pods.Select(p => (p.Pod, p.Cause, p.NeededMinThreads)));
        Assert.Equal(3, signals.PodsWithData);
    }

    [Fact]
    public void Judging_a_pod_sizes_it_from_the_current_min_threads_it_is_given()
    {
        var pod = Pod(0.2, delayMs: 400, busy: null, threads: null);

        Assert.Equal(new PodJudgement("pod-0", PodCause.Starved, 0.2, 0.4, 0, 32), ScalingDecider.Judge(Policy, pod, 16));
        Assert.Equal(new PodJudgement("pod-0", PodCause.Starved, 0.2, 0.4, 0, 100), ScalingDecider.Judge(Policy, pod, 50));
        Assert.Equal(PodCause.Saturated, ScalingDecider.Judge(Policy, pod with { CpuUtilization = 0.7 }, 16).Cause);
        Assert.Equal(PodCause.NoData, ScalingDecider.Judge(Policy, pod with { CpuUtilization = double.NaN }, 16).Cause);
    }

    public sealed record MessageCase(string Name, IReadOnlyList<PodSignals> Pods, int CurrentMinThreads, string Message)
    {
        public RecommendationHistory History { get; init; } = SettledMinThreads;

        public override string ToString() => Name;
    }

    public static TheoryData<MessageCase> Messages => new(
        new MessageCase("a raise for several starved pods", Pods(3, 0.18, delayMs: 420), 16,
            "pod-0 starves: scheduling delay 420 ms > 50 ms with CPU 18 % of request (target 70 %) (and 2 more starved pods); "
            + "20 busy threads complete 100 work items/s, requests take 200 ms, 0 queued (growing 0/s): it needs 29 to keep up with a margin and drain the queue within 2 s: min threads 16 -> 29"),
        new MessageCase("a raise on both signals", [Pod(0.3, delayMs: 80, queue: 30)], 16,
            "pod-0 starves: scheduling delay 80 ms > 50 ms and queue 30 > 10 with CPU 30 % of request (target 70 %); "
            + "20 busy threads complete 100 work items/s, requests take 200 ms, 30 queued (growing 0/s): it needs 32 to keep up with a margin and drain the queue within 2 s: min threads 16 -> 32"),
        new MessageCase("a raise while a pod is unread", [Pod(0.2, delayMs: 400), Unsampled()], 16,
            "pod-0 starves: scheduling delay 400 ms > 50 ms with CPU 20 % of request (target 70 %) (1 pod without a fresh reading not counted); "
            + "20 busy threads complete 100 work items/s, requests take 200 ms, 0 queued (growing 0/s): it needs 29 to keep up with a margin and drain the queue within 2 s: min threads 16 -> 29"),
        new MessageCase("nothing completed", [Pod(0.1, queue: 30, busy: 12, workItemRate: 0)], 16,
            "pod-0 starves: queue 30 > 10 with CPU 10 % of request (target 70 %); "
            + "no work item completed in a whole interval, so each of the 30 queued gets a thread: it needs 46: min threads 16 -> 46"),
        new MessageCase("busy threads unknown", [Pod(0.1, delayMs: 400, busy: null, threads: null)], 16,
            "pod-0 starves: scheduling delay 400 ms > 50 ms with CPU 10 % of request (target 70 %); "
            + "its busy threads are unknown: it needs twice the current value, 32: min threads 16 -> 32"),
        new MessageCase("draining", Pods(1, 0.2, delayMs: 400), 30,
            "pod-0 starves: scheduling delay 400 ms > 50 ms with CPU 20 % of request (target 70 %); "
            + "20 busy threads complete 100 work items/s, requests take 200 ms, 0 queued (growing 0/s): it needs 29 to keep up with a margin and drain the queue within 2 s; "
            + "min threads 30 already cover that: the pool is creating threads and the backlog drains: min threads stay at 30"),
        new MessageCase("capped at max", Pods(1, 0.2, delayMs: 400, queue: 2000), 190,
            "pod-0 starves: scheduling delay 400 ms > 50 ms and queue 2000 > 10 with CPU 20 % of request (target 70 %); "
            + "20 busy threads complete 100 work items/s, requests take 200 ms, 2000 queued (growing 0/s): it needs 229 to keep up with a margin and drain the queue within 2 s; "
            + "spec.minThreads.max is 200: min threads 190 -> 200"),
        new MessageCase("lowered", Pods(2, 0.65, busy: 10), 50,
            "no pod starved; the busiest uses 10 threads: min threads 50 -> 15"),
        new MessageCase("kept in use", Pods(1, 0.65, busy: 18), 30,
            "no pod starved; the busiest uses 18 threads; 27 (1.5× the 18 in use) is more than half of 30: kept: min threads stay at 30"),
        new MessageCase("kept in use by a pod using less than half", Pods(1, 0.65, busy: 10), 29,
            "no pod starved; the busiest uses 10 threads; 15 (1.5× the 10 in use) is more than half of 29: kept: min threads stay at 29"),
        new MessageCase("a pod unread", [Pod(0.65, busy: 4), Unsampled()], 50,
            "no pod starved; the busiest uses 4 threads; lowering needs every pod's threads in use; 1 of 2 pods did not report them: min threads stay at 50"),
        new MessageCase("a fresh history", Pods(2, 0.65, busy: 4), 50,
            "no pod starved; the busiest uses 4 threads; lowering to 6 waits for a whole scale-down window of recommendations (0 s of 300 s observed): min threads stay at 50")
        {
            History = RecommendationHistory.Empty,
        },
        new MessageCase("a higher recommendation in the window", Pods(2, 0.65, busy: 4), 50,
            "no pod starved; the busiest uses 4 threads; lowering to 6 waits: a higher recommendation is inside the scale-down window (300 s): min threads stay at 50")
        {
            History = SettledMinThreads with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-100), 50)] },
        },
        new MessageCase("saturated", Pods(2, 0.9, busy: 4), 50,
            "pod-0, pod-1 at or above the CPU target (70 % of request) and no pod starved: more threads cannot add cores: min threads 50 -> 6"),
        new MessageCase("stale", Pods(2, 0.2, delayMs: 400, age: StaleForMinThreads), 16,
            "signals of 2 of 2 pods (pod-0, pod-1) are older than 3 s: holding replicas at 2 and min threads at 16"),
        new MessageCase("above max", Pods(2, 0.2, delayMs: 400), 300,
            "min threads 300 are above spec.minThreads.max (200): min threads 300 -> 200"),
        new MessageCase("below baseline", [Unsampled()], 1,
            "min threads 1 are below spec.minThreads.baseline (2): min threads 1 -> 2"));

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_names_its_numbers_and_limits(MessageCase c) =>
        Assert.Equal(c.Message, DecideMinThreads(c.Pods, c.CurrentMinThreads, c.History).Decision.Message);

    [Fact]
    public void A_correction_into_bounds_records_nothing()
    {
        var history = SettledMinThreads;

        Assert.Same(history, DecideMinThreads(Pods(2, 0.2, delayMs: 400), 300, history).History);
        Assert.Same(history, DecideMinThreads([], 1, history).History);
    }

    [Fact]
    public void A_raise_records_what_it_raised_to()
    {
        var outcome = DecideMinThreads(Pods(2, 0.2, delayMs: 400, queue: 2000), 190);

        Assert.Equal(new TimedRecommendation(Now, 200), outcome.History.Recommendations[^1]);
        Assert.Empty(outcome.History.ScaleUps);
    }

    [Fact]
    public void The_same_input_gives_the_same_decision()
    {
        var pods = Pods(3, 0.18, delayMs: 420);

        var first = DecideMinThreads(pods, 16);
        var second = DecideMinThreads(pods, 16);

        Assert.Equal(first.Decision with { Limits = [], Signals = DecisionSignals.None }, second.Decision with { Limits = [], Signals = DecisionSignals.None });
        Assert.Equal(first.Decision.Signals.Pods, second.Decision.Signals.Pods);
        Assert.Equal(first.History.Recommendations, second.History.Recommendations);
    }
}
