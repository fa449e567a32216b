using Platform.Operator.Decisions;
using Platform.Operator.Decisions.Simulation;

namespace Platform.Operator.Tests.Decisions;

/// <summary>The real decider driving a simulated Deployment (see <see cref="SimulationScenarios"/>): the effects it is for.</summary>
public sealed class SimulationTests
{
    private static readonly TimeSpan BurstLength = TimeSpan.FromSeconds(180);

    [Fact]
    public void A_blocking_burst_is_met_with_more_threads_and_no_new_pods()
    {
        var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromMilliseconds(200), BurstLength, operatorEnabled: true);

        var result = ClusterSimulation.Run(options);

        var raises = result.Evaluations.Where(e => e.Decision.MinThreadsAction == MinThreadsAction.Raise).ToList();
        Assert.NotEmpty(raises);
        Assert.All(raises, e => Assert.Equal(Regime.Starvation, e.Decision.Regime));
        Assert.All(raises, e => Assert.InRange(e.Time, SimulationScenarios.BurstStart, SimulationScenarios.BurstStart + BurstLength + options.SignalWindow));
        Assert.DoesNotContain(result.Evaluations, e => e.Decision.ReplicaAction == ReplicaAction.ScaleUp);
        Assert.All(result.Seconds, s => Assert.Equal(options.InitialReplicas, s.Replicas));
        Assert.True(result.Seconds.Max(s => s.MinThreads) > options.Policy.MinThreadsBaseline);
        Assert.NotNull(result.RecoveryTime(SimulationScenarios.BurstStart, options.Policy.StarvationSchedulingDelay.TotalMilliseconds, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Raised_min_threads_recover_a_long_blocking_burst_much_sooner_than_the_runtime_alone()
    {
        var threshold = SimulationScenarios.PolicyOf(SimulationScenarios.DefaultSpec()).StarvationSchedulingDelay.TotalMilliseconds;
        TimeSpan? Recovery(bool operatorEnabled)
        {
            var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromSeconds(1), BurstLength, operatorEnabled);
            options = options with { Policy = options.Policy with { MinThreadsStep = 64 } };
            return ClusterSimulation.Run(options).RecoveryTime(SimulationScenarios.BurstStart, threshold, TimeSpan.FromSeconds(10));
        }

        var withOperator = Recovery(operatorEnabled: true);
        var runtimeAlone = Recovery(operatorEnabled: false);

        Assert.NotNull(withOperator);
        Assert.NotNull(runtimeAlone);
        Assert.True(withOperator < runtimeAlone / 2, $"with the operator {withOperator}, the runtime alone {runtimeAlone}");
    }

    [Fact]
    public void A_cpu_ramp_is_met_with_more_pods_and_no_new_threads()
    {
        const double peak = 275;
        var options = SimulationScenarios.CpuRamp(peak);
        var needed = SimulationScenarios.NeededReplicas(peak, TimeSpan.FromMilliseconds(20), options.Policy);

        var result = ClusterSimulation.Run(options);

        Assert.Equal(8, needed);
        Assert.Contains(result.Evaluations, e => e.Decision.ReplicaAction == ReplicaAction.ScaleUp);
        Assert.All(result.Evaluations.Where(e => e.Decision.ReplicaAction == ReplicaAction.ScaleUp), e => Assert.Equal(Regime.Saturation, e.Decision.Regime));
        Assert.DoesNotContain(result.Evaluations, e => e.Decision.MinThreadsAction == MinThreadsAction.Raise);
        Assert.All(result.Seconds, s => Assert.Equal(options.Policy.MinThreadsBaseline, s.MinThreads));
        Assert.InRange(result.Seconds[^1].Replicas, needed, needed + 1);
        Assert.True(result.ReplicaDirectionChanges <= 1, $"{result.ReplicaDirectionChanges} replica direction changes");
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(true, 3)]
    [InlineData(false, 1)]
    public void Steady_load_does_not_flap(bool poissonArrivals, int seed)
    {
        var arrivals = poissonArrivals ? ArrivalProcess.Poisson : ArrivalProcess.Deterministic;
        var result = ClusterSimulation.Run(SimulationScenarios.SteadyLoad(seed) with { Arrivals = arrivals });

        Assert.True(result.ReplicaDirectionChanges <= 1, $"seed {seed}: {result.ReplicaDirectionChanges} replica direction changes");
        Assert.True(result.MinThreadsDirectionChanges <= 1, $"seed {seed}: {result.MinThreadsDirectionChanges} min-thread direction changes");
        Assert.True(result.ReplicaChanges + result.MinThreadsChanges <= 4, $"seed {seed}: {result.ReplicaChanges} replica and {result.MinThreadsChanges} min-thread changes");
    }

    [Fact]
    public void Absent_metrics_freeze_decisions_until_they_return()
    {
        var outage = new SignalOutage(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(165), SignalOutageKind.Missing);
        var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromSeconds(1), BurstLength, operatorEnabled: true) with { Outages = [outage] };

        var result = ClusterSimulation.Run(options);

        var during = result.Evaluations.Where(e => e.Time >= outage.Start && e.Time < outage.End).ToList();
        Assert.Equal(8, during.Count);
        Assert.All(during, e => Assert.Equal(
            (Regime.Unknown, ReplicaAction.None, MinThreadsAction.None, DecisionReasons.MetricsMissing, e.CurrentReplicas, e.CurrentMinThreads),
            (e.Decision.Regime, e.Decision.ReplicaAction, e.Decision.MinThreadsAction, e.Decision.Reason, e.Decision.DesiredReplicas, e.Decision.DesiredMinThreads)));
        Assert.All(result.Between(outage.Start, outage.End), s => Assert.Equal(options.Policy.MinThreadsBaseline, s.MinThreads));
        // The burst is still on when the metrics return: the first evaluation after acts on it.
        var first = result.Evaluations.First(e => e.Time >= outage.End);
        Assert.Equal((Regime.Starvation, MinThreadsAction.Raise), (first.Decision.Regime, first.Decision.MinThreadsAction));
    }

    [Fact]
    public void Frozen_metrics_stop_decisions_once_older_than_the_staleness_bound()
    {
        var outage = new SignalOutage(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(225), SignalOutageKind.Frozen);
        var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromSeconds(1), BurstLength, operatorEnabled: true) with { Outages = [outage] };

        var result = ClusterSimulation.Run(options);

        var stale = result.Evaluations.Where(e => e.Time > outage.Start + options.Policy.MaxStaleness && e.Time < outage.End).ToList();
        Assert.NotEmpty(stale);
        Assert.All(stale, e => Assert.Equal(
            (DecisionReasons.MetricsStale, ReplicaAction.None, MinThreadsAction.None),
            (e.Decision.Reason, e.Decision.ReplicaAction, e.Decision.MinThreadsAction)));
        // Until then the frozen samples are the calm ones from before the burst: nothing is raised on them either.
        Assert.DoesNotContain(result.Evaluations.Where(e => e.Time < outage.End), e => e.Decision.MinThreadsAction == MinThreadsAction.Raise);
    }

    [Fact]
    public void A_simulation_is_reproducible()
    {
        var options = SimulationScenarios.SteadyLoad(seed: 7);

        var first = ClusterSimulation.Run(options);
        var second = ClusterSimulation.Run(options);

        Assert.Equal(first.Seconds, second.Seconds);
        Assert.Equal(first.Evaluations.Select(e => e.Decision), second.Evaluations.Select(e => e.Decision));
    }

    [Theory]
    [InlineData(new[] { 2, 2, 3, 4, 4 }, 0)]
    [InlineData(new[] { 2, 3, 2 }, 1)]
    [InlineData(new[] { 2, 3, 3, 2, 4, 1 }, 3)]
    [InlineData(new int[0], 0)]
    public void Direction_changes_count_turns_not_steps(int[] series, int expected) =>
        Assert.Equal(expected, SimulationResult.DirectionChanges(series));
}
