using Platform.Operator.Decisions;
using static Platform.Operator.Tests.Decisions.DecisionFixtures;

namespace Platform.Operator.Tests.Decisions;

/// <summary>Decisions over time: the history carried from one decision to the next, as the controller carries it.</summary>
public sealed class StabilizationTests
{
    /// <summary>Replays decisions at the given seconds, applying each one, as the controller does.</summary>
    private sealed class Loop(int replicas, int minThreads, RecommendationHistory? history = null, AutoscalerPolicy? policy = null)
    {
        public int Replicas { get; private set; } = replicas;

        public int MinThreads { get; private set; } = minThreads;

        public RecommendationHistory History { get; private set; } = history ?? RecommendationHistory.Empty;

        public Decision At(double seconds, IReadOnlyList<PodSignals> pods)
        {
            var now = Now.AddSeconds(seconds);
            var outcome = ScalingDecider.Decide(new DecisionInput(policy ?? Policy, pods.SampledAt(now), Replicas, MinThreads, now), History);
            History = outcome.History;
            Replicas = outcome.Decision.DesiredReplicas;
            MinThreads = outcome.Decision.DesiredMinThreads;
            return outcome.Decision;
        }
    }

    [Fact]
    public void A_scale_down_waits_until_the_window_has_been_quiet()
    {
        var loop = new Loop(replicas: 6, minThreads: 2);
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
        var loop = new Loop(replicas: 4, minThreads: 2, Settled with { Recommendations = [new TimedRecommendation(Now, 4, 2)] });
        loop.At(100, Pods(4, 0.7));

        Assert.Equal(4, loop.At(399, Pods(4, 0.35)).DesiredReplicas);
        Assert.Equal(2, loop.At(401, Pods(4, 0.35)).DesiredReplicas);
    }

    [Fact]
    public void Raising_min_threads_acts_at_once_and_lowering_goes_one_step_per_window()
    {
        var loop = new Loop(replicas: 2, minThreads: 2);
        var raises = new[] { 0, 15, 30 }.Select(t => loop.At(t, Pods(2, 0.2, delayMs: 400))).ToList();
        Assert.Equal([18, 34, 50], raises.Select(d => d.DesiredMinThreads));

        // Quiet from t = 45 on: every decision recommends one step down, but the window remembers 50 until t = 330.
        var timeline = new List<(int Second, int MinThreads)>();
        for (var t = 45; t <= 1300; t += 15)
        {
            var decision = loop.At(t, Pods(2, 0.65));
            Assert.NotEqual(MinThreadsAction.Raise, decision.MinThreadsAction);
            timeline.Add((t, decision.DesiredMinThreads));
        }

        var changes = timeline.Zip(timeline.Skip(1)).Where(p => p.First.MinThreads != p.Second.MinThreads).Select(p => p.Second).ToList();
        Assert.Equal([(330, 34), (630, 18), (930, 2)], changes);
    }

    [Fact]
    public void Starvation_after_a_quiet_spell_raises_at_once()
    {
        var loop = new Loop(replicas: 2, minThreads: 34, Settled);
        loop.At(0, Pods(2, 0.65));
        Assert.Equal(18, loop.MinThreads);

        var raise = loop.At(15, Pods(2, 0.2, delayMs: 400));

        Assert.Equal((MinThreadsAction.Raise, 34), (raise.MinThreadsAction, raise.DesiredMinThreads));
    }

    [Fact]
    public void The_scale_up_limit_counts_pods_added_within_each_period()
    {
        var loop = new Loop(replicas: 1, minThreads: 2, Settled);

        var first = loop.At(0, Pods(1, 7.0));
        var samePeriod = loop.At(10, Pods(5, 7.0));
        var nextPeriod = loop.At(15, Pods(5, 7.0));
        var after = loop.At(30, Pods(10, 7.0));

        Assert.Equal([5, 5, 10, 20], new[] { first, samePeriod, nextPeriod, after }.Select(d => d.DesiredReplicas));
        Assert.All(new[] { first, samePeriod, nextPeriod, after }, d => Assert.Equal(DecisionReasons.ScaleUpLimited, d.Reason));
    }

    [Fact]
    public void A_hold_leaves_the_history_untouched()
    {
        var history = Settled with { Recommendations = [new TimedRecommendation(Now.AddSeconds(-10), 4, 2)] };

        var outcome = Decide([Pod(1.4, name: "a"), Unsampled()], 2, 16, history);

        Assert.Same(history, outcome.History);
    }

    [Fact]
    public void A_hold_longer_than_the_windows_makes_the_next_scale_down_wait_a_whole_window()
    {
        var loop = new Loop(replicas: 4, minThreads: 2, Settled);
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
    public void The_history_keeps_only_what_the_windows_can_see()
    {
        var loop = new Loop(replicas: 2, minThreads: 2);
        for (var t = 0; t < 3600; t += 15)
        {
            loop.At(t, Pods(2, 0.65));
        }

        var window = Policy.ScaleDownStabilizationWindow.TotalSeconds;
        Assert.InRange(loop.History.Recommendations.Length, (int)(window / 15) - 1, (int)(window / 15) + 1);
        Assert.All(loop.History.Recommendations, r => Assert.True(Now.AddSeconds(3585) - r.Time < Policy.ScaleDownStabilizationWindow));
    }

    [Fact]
    public void A_scale_down_window_of_zero_acts_at_once_even_on_a_fresh_history()
    {
        var decision = Decide(Pods(4, 0.35), 4, 50, RecommendationHistory.Empty, Policy with { ScaleDownStabilizationWindow = TimeSpan.Zero }).Decision;

        Assert.Equal((ReplicaAction.ScaleDown, 2, MinThreadsAction.Lower, 34), (decision.ReplicaAction, decision.DesiredReplicas, decision.MinThreadsAction, decision.DesiredMinThreads));
    }
}
