using Platform.Operator.Decisions;
using static Platform.Operator.Tests.Decisions.DecisionFixtures;

namespace Platform.Operator.Tests.Decisions;

/// <summary>Decisions over time: each knob's history carried from one decision to the next, as its controller carries it.</summary>
public sealed class StabilizationTests
{
    /// <summary>Replays replica decisions at the given seconds, applying each one, as the replica loop does.</summary>
    private sealed class ReplicaLoop(int replicas, RecommendationHistory? history = null, AutoscalerPolicy? policy = null)
    {
        public int Replicas { get; private set; } = replicas;

        public RecommendationHistory History { get; private set; } = history ?? RecommendationHistory.Empty;

        public Decision At(double seconds, IReadOnlyList<PodSignals> pods)
        {
            var now = Now.AddSeconds(seconds);
            var outcome = ScalingDecider.DecideReplicas(new DecisionInput(policy ?? Policy, pods.SampledAt(now), Replicas, 16, now), History);
            History = outcome.History;
            Replicas = outcome.Decision.DesiredReplicas;
            return outcome.Decision;
        }
    }

    /// <summary>Replays min-threads decisions, applying each one unless it holds, as the min-threads loop does.</summary>
    private sealed class MinThreadsLoop(int minThreads, RecommendationHistory? history = null, AutoscalerPolicy? policy = null)
    {
        public int MinThreads { get; private set; } = minThreads;

        public RecommendationHistory History { get; private set; } = history ?? RecommendationHistory.Empty;

        /// <summary>A decision at <paramref name="seconds"/>, on readings taken <paramref name="age"/> before it.</summary>
        public Decision At(double seconds, IReadOnlyList<PodSignals> pods, TimeSpan? age = null)
        {
            var now = Now.AddSeconds(seconds);
            var outcome = ScalingDecider.DecideMinThreads(new DecisionInput(policy ?? Policy, pods.SampledAt(now - (age ?? TimeSpan.Zero)), 2, MinThreads, now), History);
            History = outcome.History;
            if (!outcome.Decision.Holds)
            {
                MinThreads = outcome.Decision.DesiredMinThreads;
            }

            return outcome.Decision;
        }
    }

    [Fact]
    public void A_scale_down_waits_until_the_window_has_been_quiet()
    {
        var loop = new ReplicaLoop(replicas: 6);
        Assert.Equal(ReplicaAction.None, loop.At(0, Pods(6, 0.7)).ReplicaAction);

        for (var t = 15; t < 299; t += 15)
        {
            var held = loop.At(t, Pods(6, 0.35));
            Assert.Equal((ReplicaAction.None, 6, DecisionReasons.ScaleDownStabilized), (held.ReplicaAction, held.DesiredReplicas, held.Reason));
        }

        var at299 = loop.At(299, Pods(6, 0.35));
        var at301 = loop.At(301, Pods(6, 0.35));

        Assert.Equal((ReplicaAction.None, 6, DecisionReasons.ScaleDownStabilized), (at299.ReplicaAction, at299.DesiredReplicas, at299.Reason));
        Assert.Equal((ReplicaAction.ScaleDown, 3, DecisionReasons.Idle), (at301.ReplicaAction, at301.DesiredReplicas, at301.Reason));
    }

    [Fact]
    public void A_spike_inside_the_window_restarts_the_wait()
    {
        var loop = new ReplicaLoop(replicas: 4, SettledReplicas with { Recommendations = [new TimedRecommendation(Now, 4)] });
        loop.At(100, Pods(4, 0.7));

        Assert.Equal(4, loop.At(399, Pods(4, 0.35)).DesiredReplicas);
        Assert.Equal(2, loop.At(401, Pods(4, 0.35)).DesiredReplicas);
    }

    [Fact]
    public void The_scale_up_limit_counts_pods_added_within_each_period()
    {
        var loop = new ReplicaLoop(replicas: 1, SettledReplicas);

        var first = loop.At(0, Pods(1, 7.0));
        var samePeriod = loop.At(10, Pods(5, 7.0));
        var nextPeriod = loop.At(15, Pods(5, 7.0));
        var after = loop.At(30, Pods(10, 7.0));

        Assert.Equal([5, 5, 10, 20], new[] { first, samePeriod, nextPeriod, after }.Select(d => d.DesiredReplicas));
        Assert.All(new[] { first, samePeriod, nextPeriod, after }, d => Assert.Equal(DecisionReasons.ScaleUpLimited, d.Reason));
    }

    [Fact]
    public void Starving_pods_keep_their_replicas_for_as_long_as_they_starve()
    {
        var loop = new ReplicaLoop(replicas: 4, SettledReplicas);
        for (var t = 0; t <= 900; t += 15)
        {
            var decision = loop.At(t, Pods(4, 0.05, delayMs: 400));
            Assert.Equal((ReplicaAction.None, 4, DecisionReasons.Starvation), (decision.ReplicaAction, decision.DesiredReplicas, decision.Reason));
        }

        // The starvation's recommendations were "keep 4": the scale-in waits a whole window after it ends.
        Assert.Equal(4, loop.At(1199, Pods(4, 0.35)).DesiredReplicas);
        Assert.Equal(2, loop.At(1200, Pods(4, 0.35)).DesiredReplicas);
    }

    [Fact]
    public void Raising_min_threads_acts_at_once_and_lowering_goes_once_to_the_in_use_target_after_the_window()
    {
        var loop = new MinThreadsLoop(minThreads: 2);
        var timeline = new List<(int Second, Decision Decision)>();

        // A burst: at t = 0 a pod shows 30 busy threads completing 100 items/s and 200 queued, so it needs
        // R + 2 sqrt(R) + 0.3 x 200 / 2 = 30 + 10.95 + 30 = 70.95 (R = 0.3 x 100). Then it runs on 40 busy
        // threads, enough to keep 71 (40 x 1.5 = 60 is more than half of it), until t = 30, when the load
        // drops to 4 busy threads: the target is 6.
        timeline.Add((0, loop.At(0, [Pod(0.2, delayMs: 400, queue: 200, busy: 30, requestMs: 300)])));
        for (var t = 1; t <= 1200; t++)
        {
            timeline.Add((t, loop.At(t, t < 30 ? [Pod(0.3, busy: 40)] : [Pod(0.05, busy: 4)])));
        }

        var changes = timeline.Where(e => e.Decision.MinThreadsAction != MinThreadsAction.None).Select(e => (e.Second, e.Decision.DesiredMinThreads)).ToList();
        // The last recommendation of 71 was at t = 29; it leaves the 300 s window at t = 329.
        Assert.Equal([(0, 71), (329, 6)], changes);
        Assert.All(timeline.Where(e => e.Second is >= 30 and < 329), e => Assert.Equal(DecisionReasons.ScaleDownStabilized, e.Decision.Reason));
    }

    [Fact]
    public void Starvation_after_a_quiet_spell_raises_at_once()
    {
        var loop = new MinThreadsLoop(minThreads: 50, SettledMinThreads);
        loop.At(0, Pods(2, 0.65, busy: 4));
        Assert.Equal(6, loop.MinThreads);

        var raise = loop.At(1, Pods(2, 0.2, delayMs: 400));

        Assert.Equal((MinThreadsAction.Raise, 29, DecisionReasons.Starvation), (raise.MinThreadsAction, raise.DesiredMinThreads, raise.Reason));
    }

    [Fact]
    public void A_steady_load_with_busy_threads_near_the_value_never_turns_min_threads_round()
    {
        var random = new Random(42);
        var loop = new MinThreadsLoop(minThreads: 2, SettledMinThreads);
        var values = new List<int>();
        var raise = loop.At(0, Pods(2, 0.2, delayMs: 400));
        Assert.Equal(29, raise.DesiredMinThreads);

        // For twenty minutes the pods use 7 to 20 of those 29 threads (a second with 10 or more busy keeps
        // the 300 s window's recommendation at 29), and now and then a pod with fewer than 18 busy threads
        // queues 12 items: it starves, but needs only busy + 2 sqrt(busy) + 1.2 <= 27, which 29 already cover.
        for (var t = 1; t <= 1200; t++)
        {
            var pods = Enumerable.Range(0, 2).Select(i =>
            {
                var busy = 7 + random.Next(14);
                var blip = busy < 18 && random.Next(30) == 0;
                return Pod(0.3, delayMs: blip ? 80 : 5, queue: blip ? 12 : 0, name: $"pod-{i}", busy: busy, workItemRate: busy / 0.2);
            }).ToList();
            var decision = loop.At(t, pods);
            Assert.NotEqual(MinThreadsAction.Lower, decision.MinThreadsAction);
            values.Add(decision.DesiredMinThreads);
        }

        Assert.All(values, v => Assert.Equal(29, v));
    }

    [Fact]
    public void A_hold_leaves_each_history_untouched()
    {
        var replicas = SettledReplicas with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-10), 4)] };
        var minThreads = SettledMinThreads with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-10), 40)] };

        var replicaHold = DecideReplicas([Pod(1.4, name: "a"), Unsampled()], 2, replicas);
        var minThreadsHold = DecideMinThreads([Unsampled("a"), Pod(0.2, delayMs: 400, age: StaleForMinThreads, name: "b")], 16, minThreads);

        Assert.True(replicaHold.Decision.Holds);
        Assert.True(minThreadsHold.Decision.Holds);
        Assert.Same(replicas, replicaHold.History);
        Assert.Same(minThreads, minThreadsHold.History);
    }

    [Fact]
    public void A_hold_longer_than_the_windows_makes_the_next_scale_down_wait_a_whole_window()
    {
        var loop = new ReplicaLoop(replicas: 4, SettledReplicas);
        loop.At(0, Pods(4, 0.7));
        for (var t = 15; t <= 600; t += 15)
        {
            Assert.Equal(DecisionReasons.MetricsMissing, loop.At(t, [Unsampled()]).Reason);
        }

        Assert.Equal(DecisionReasons.ScaleDownStabilized, loop.At(615, Pods(4, 0.35)).Reason);
        Assert.Equal(4, loop.At(914, Pods(4, 0.35)).DesiredReplicas);
        Assert.Equal(2, loop.At(915, Pods(4, 0.35)).DesiredReplicas);
    }

    [Fact]
    public void A_hold_longer_than_the_window_makes_the_next_lowering_wait_a_whole_window()
    {
        var loop = new MinThreadsLoop(minThreads: 50, SettledMinThreads);
        Assert.Equal(DecisionReasons.MinThreadsInUse, loop.At(0, Pods(2, 0.65, busy: 20)).Reason);
        for (var t = 1; t <= 600; t++)
        {
            Assert.Equal(DecisionReasons.MetricsStale, loop.At(t, Pods(2, 0.65), age: StaleForMinThreads).Reason);
        }

        var first = loop.At(601, Pods(2, 0.65, busy: 4));
        Assert.Equal((DecisionReasons.ScaleDownStabilized, 50), (first.Reason, first.DesiredMinThreads));
        Assert.Contains("(0 s of 300 s observed)", first.Message, StringComparison.Ordinal);
        for (var t = 602; t < 901; t++)
        {
            Assert.Equal(50, loop.At(t, Pods(2, 0.65, busy: 4)).DesiredMinThreads);
        }

        var lowered = loop.At(901, Pods(2, 0.65, busy: 4));
        Assert.Equal((MinThreadsAction.Lower, 6), (lowered.MinThreadsAction, lowered.DesiredMinThreads));
    }

    [Fact]
    public void The_history_keeps_only_what_the_windows_can_see()
    {
        var replicas = new ReplicaLoop(replicas: 2);
        for (var t = 0; t < 3600; t += 15)
        {
            replicas.At(t, Pods(2, 0.65));
        }

        var minThreads = new MinThreadsLoop(minThreads: 16);
        for (var t = 0; t < 3600; t++)
        {
            minThreads.At(t, Pods(2, 0.65));
        }

        var window = Policy.ScaleDownStabilizationWindow;
        Assert.InRange(replicas.History.Recommendations.Length, (int)(window.TotalSeconds / 15) - 1, (int)(window.TotalSeconds / 15) + 1);
        Assert.InRange(minThreads.History.Recommendations.Length, (int)window.TotalSeconds - 1, (int)window.TotalSeconds + 1);
        Assert.All(replicas.History.Recommendations, r => Assert.True(Now.AddSeconds(3585) - r.Time < window));
        Assert.All(minThreads.History.Recommendations, r => Assert.True(Now.AddSeconds(3599) - r.Time < window));
        Assert.Empty(minThreads.History.ScaleUps);
    }

    [Fact]
    public void A_scale_down_window_of_zero_acts_at_once_even_on_a_fresh_history()
    {
        var policy = Policy with { ScaleDownStabilizationWindow = TimeSpan.Zero };

        var replicas = DecideReplicas(Pods(4, 0.35), 4, RecommendationHistory.Empty, policy).Decision;
        var minThreads = DecideMinThreads(Pods(2, 0.65, busy: 4), 50, RecommendationHistory.Empty, policy).Decision;

        Assert.Equal((ReplicaAction.ScaleDown, 2), (replicas.ReplicaAction, replicas.DesiredReplicas));
        Assert.Equal((MinThreadsAction.Lower, 6), (minThreads.MinThreadsAction, minThreads.DesiredMinThreads));
    }
}
