using Platform.Operator.Decisions;
using Platform.Operator.Simulation;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// The real decider driving a simulated Deployment in both its loops (see <see cref="SimulationScenarios"/>):
/// the effects it is for. The bounds leave a margin over what the benchmark prints for the same runs.
/// </summary>
public sealed class SimulationTests
{
    private static readonly TimeSpan BurstLength = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan BurstEnd = SimulationScenarios.BurstStart + BurstLength;
    private static readonly double DelayThresholdMs = SimulationScenarios.PolicyOf(SimulationScenarios.DefaultSpec()).StarvationSchedulingDelay.TotalMilliseconds;
    private static readonly TimeSpan Sustain = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(200, 100, 10)]
    [InlineData(200, 200, 10)]
    [InlineData(100, 100, 10)]
    [InlineData(200, 1000, 15)]
    public void A_blocking_burst_on_one_pod_is_met_with_sized_threads_and_no_new_pods(double rate, int blockingMs, int recoverySeconds)
    {
        var options = SimulationScenarios.BlockingBurst(rate, TimeSpan.FromMilliseconds(blockingMs), BurstLength, operatorEnabled: true);

        var result = ClusterSimulation.Run(options);

        var raises = result.Evaluations.Where(e => e.Decision.MinThreadsAction == MinThreadsAction.Raise).ToList();
        Assert.NotEmpty(raises);
        Assert.All(raises, e => Assert.Equal((SimulationLoop.MinThreads, Regime.Starvation), (e.Loop, e.Decision.Regime)));
        Assert.All(raises, e => Assert.InRange(e.Time, SimulationScenarios.BurstStart, BurstEnd));
        Assert.DoesNotContain(result.Evaluations, e => e.Decision.ReplicaAction == ReplicaAction.ScaleUp);
        Assert.All(result.Seconds, s => Assert.Equal(options.InitialReplicas, s.Replicas));

        // Latency: every second's p99 at most 1.5 x the blocking time from then to the burst's end.
        var latencyRecovery = result.LatencyRecoveryTime(SimulationScenarios.BurstStart, BurstEnd, 1.5 * blockingMs);
        var delayRecovery = result.RecoveryTime(SimulationScenarios.BurstStart, DelayThresholdMs, Sustain);
        Assert.NotNull(latencyRecovery);
        Assert.NotNull(delayRecovery);
        Assert.True(latencyRecovery <= TimeSpan.FromSeconds(recoverySeconds), $"latency recovered after {latencyRecovery}");
        Assert.True(delayRecovery <= TimeSpan.FromSeconds(recoverySeconds), $"the delay recovered after {delayRecovery}");

        // Sized, not stepped up past the need: the peak stays within twice what the pod then uses.
        var inUse = result.Between(BurstEnd - TimeSpan.FromSeconds(60), BurstEnd).Max(s => s.MaxBusyThreads);
        Assert.True(result.PeakMinThreads > options.Policy.MinThreadsBaseline);
        Assert.True(result.PeakMinThreads <= 2 * inUse, $"peak min threads {result.PeakMinThreads}, {inUse} in use");
    }

    [Theory]
    [InlineData(200, 100)]
    [InlineData(200, 1000)]
    public void The_runtime_alone_does_not_recover_the_same_burst_within_a_minute(double rate, int blockingMs)
    {
        var options = SimulationScenarios.BlockingBurst(rate, TimeSpan.FromMilliseconds(blockingMs), BurstLength, operatorEnabled: false);

        var result = ClusterSimulation.Run(options);

        var latencyRecovery = result.LatencyRecoveryTime(SimulationScenarios.BurstStart, BurstEnd, 1.5 * blockingMs);
        var delayRecovery = result.RecoveryTime(SimulationScenarios.BurstStart, DelayThresholdMs, Sustain);
        Assert.Empty(result.Evaluations);
        Assert.True(latencyRecovery is null || latencyRecovery > TimeSpan.FromSeconds(60), $"latency recovered after {latencyRecovery}");
        Assert.True(delayRecovery is null || delayRecovery > TimeSpan.FromSeconds(60), $"the delay recovered after {delayRecovery}");
    }

    [Fact]
    public void Reading_the_pods_every_second_recovers_a_burst_much_sooner_than_every_15_s()
    {
        TimeSpan? Recovery(int intervalMilliseconds) =>
            ClusterSimulation.Run(SimulationScenarios.BlockingBurst(200, TimeSpan.FromMilliseconds(100), BurstLength, operatorEnabled: true,
                    podSignalIntervalMilliseconds: intervalMilliseconds))
                .RecoveryTime(SimulationScenarios.BurstStart, DelayThresholdMs, Sustain);

        var everySecond = Recovery(1000);
        var every15Seconds = Recovery(15_000);

        Assert.NotNull(everySecond);
        Assert.NotNull(every15Seconds);
        Assert.True(everySecond * 3 < every15Seconds, $"every second {everySecond}, every 15 s {every15Seconds}");
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
        Assert.All(result.Evaluations.Where(e => e.Decision.ReplicaAction == ReplicaAction.ScaleUp),
            e => Assert.Equal((SimulationLoop.Replicas, Regime.Saturation), (e.Loop, e.Decision.Regime)));
        Assert.NotEmpty(result.Of(SimulationLoop.MinThreads));
        Assert.DoesNotContain(result.Evaluations, e => e.Decision.MinThreadsAction == MinThreadsAction.Raise);
        Assert.All(result.Seconds, s => Assert.Equal(options.Policy.MinThreadsBaseline, s.MinThreads));
        Assert.InRange(result.Seconds[^1].Replicas, needed, needed + 1);
        Assert.True(result.ReplicaDirectionChanges <= 1, $"{result.ReplicaDirectionChanges} replica direction changes");
        Assert.Equal(0, result.MinThreadsDirectionChanges);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(true, 3)]
    [InlineData(true, 4)]
    [InlineData(true, 5)]
    [InlineData(false, 1)]
    public void Steady_load_does_not_flap(bool poissonArrivals, int seed)
    {
        var arrivals = poissonArrivals ? ArrivalProcess.Poisson : ArrivalProcess.Deterministic;
        var result = ClusterSimulation.Run(SimulationScenarios.SteadyLoad(seed) with { Arrivals = arrivals });

        Assert.Equal((0, 0), (result.ReplicaDirectionChanges, result.MinThreadsDirectionChanges));
        Assert.True(result.ReplicaChanges + result.MinThreadsChanges <= 4, $"seed {seed}: {result.ReplicaChanges} replica and {result.MinThreadsChanges} min-thread changes");
    }

    [Fact]
    public void Absent_metrics_freeze_both_loops_until_they_return()
    {
        var outage = new SignalOutage(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(165), SignalOutageKind.Missing);
        var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromSeconds(1), BurstLength, operatorEnabled: true) with { Outages = [outage] };

        var result = ClusterSimulation.Run(options);

        var during = result.Evaluations.Where(e => e.Time >= outage.Start && e.Time < outage.End).ToList();
        // Every second for min threads, every 15 s for replicas.
        Assert.Equal((120, 8), (during.Count(e => e.Loop == SimulationLoop.MinThreads), during.Count(e => e.Loop == SimulationLoop.Replicas)));
        Assert.All(during, e => Assert.Equal(
            (true, Regime.Unknown, ReplicaAction.None, MinThreadsAction.None, DecisionReasons.MetricsMissing, e.CurrentReplicas, e.CurrentMinThreads),
            (e.Decision.Holds, e.Decision.Regime, e.Decision.ReplicaAction, e.Decision.MinThreadsAction, e.Decision.Reason, e.Decision.DesiredReplicas, e.Decision.DesiredMinThreads)));
        Assert.All(result.Between(outage.Start, outage.End), s => Assert.Equal(options.Policy.MinThreadsBaseline, s.MinThreads));
        // The burst is still on when the metrics return: the first min-threads decision after acts on it.
        var first = result.Of(SimulationLoop.MinThreads).First(e => e.Time >= outage.End);
        Assert.Equal((outage.End, Regime.Starvation, MinThreadsAction.Raise), (first.Time, first.Decision.Regime, first.Decision.MinThreadsAction));
    }

    [Fact]
    public void Frozen_metrics_stop_each_loop_once_older_than_its_staleness_bound()
    {
        var outage = new SignalOutage(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(225), SignalOutageKind.Frozen);
        var options = SimulationScenarios.BlockingBurst(200, TimeSpan.FromSeconds(1), BurstLength, operatorEnabled: true) with { Outages = [outage] };

        var result = ClusterSimulation.Run(options);

        // The frozen samples are those of the last replica evaluation before the outage. Control-port readings
        // go stale after three intervals, so the min-threads loop holds throughout.
        var frozenAt = result.Of(SimulationLoop.Replicas).Last(e => e.Time < outage.Start).Time;
        var minThreads = result.Of(SimulationLoop.MinThreads).Where(e => e.Time >= outage.Start && e.Time < outage.End).ToList();
        Assert.NotEmpty(minThreads);
        Assert.All(minThreads, e => Assert.Equal((true, DecisionReasons.MetricsStale, MinThreadsAction.None), (e.Decision.Holds, e.Decision.Reason, e.Decision.MinThreadsAction)));
        var staleReplicas = result.Of(SimulationLoop.Replicas).Where(e => e.Time > frozenAt + options.Policy.MaxStaleness && e.Time < outage.End).ToList();
        Assert.NotEmpty(staleReplicas);
        Assert.All(staleReplicas, e => Assert.Equal((true, DecisionReasons.MetricsStale, ReplicaAction.None), (e.Decision.Holds, e.Decision.Reason, e.Decision.ReplicaAction)));
        // Until then the replica loop sees the calm samples from before the burst: nothing is raised on them either.
        Assert.DoesNotContain(result.Evaluations.Where(e => e.Time < outage.End), e => e.Decision.Acts);
        var first = result.Of(SimulationLoop.MinThreads).First(e => e.Time >= outage.End);
        Assert.Equal((Regime.Starvation, MinThreadsAction.Raise), (first.Decision.Regime, first.Decision.MinThreadsAction));
    }

    [Fact]
    public void A_simulation_is_reproducible()
    {
        var options = SimulationScenarios.SteadyLoad(seed: 7);

        var first = ClusterSimulation.Run(options);
        var second = ClusterSimulation.Run(options);

        Assert.Equal(first.Seconds, second.Seconds);
        Assert.Equal(first.Evaluations.Select(e => (e.Time, e.Loop, e.Decision.DesiredReplicas, e.Decision.DesiredMinThreads, e.Decision.Message)),
            second.Evaluations.Select(e => (e.Time, e.Loop, e.Decision.DesiredReplicas, e.Decision.DesiredMinThreads, e.Decision.Message)));
    }

    [Theory]
    [InlineData(new[] { 2, 2, 3, 4, 4 }, 0)]
    [InlineData(new[] { 2, 3, 2 }, 1)]
    [InlineData(new[] { 2, 3, 3, 2, 4, 1 }, 3)]
    [InlineData(new int[0], 0)]
    public void Direction_changes_count_turns_not_steps(int[] series, int expected) =>
        Assert.Equal(expected, SimulationResult.DirectionChanges(series));
}
