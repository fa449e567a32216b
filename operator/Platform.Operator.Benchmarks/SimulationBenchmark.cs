using System.Diagnostics;
using Platform.Operator.Decisions;
using Platform.Operator.Simulation;
using Platform.Testing;
using static System.FormattableString;

namespace Platform.Operator.Benchmarks;

/// <summary>The decision logic in a deterministic cluster simulation: every run is seeded, the same build prints the same tables.</summary>
internal static class SimulationBenchmark
{
    public static void Run()
    {
        var started = Stopwatch.GetTimestamp();
        var delayThresholdMs = SimulationScenarios.PolicyOf(SimulationScenarios.DefaultSpec()).StarvationSchedulingDelay.TotalMilliseconds;
        var burstLength = TimeSpan.FromSeconds(120);
        var sustain = TimeSpan.FromSeconds(10);

        Console.WriteLine("# Operator decisions in a simulated cluster");
        Console.WriteLine();
        Console.WriteLine("Pods: 2 cores, CPU request 1 core. Policy: the CRD defaults (min threads baseline 2, max 500, sized from each");
        Console.WriteLine("pod's busy threads, completions and queue, read every second from its control port; replicas from a 15 s");
        Console.WriteLine("signal window every 15 s, CPU target 70 %, tolerance 0.1, scale-down window 300 s, scale-up max(100 %, 4 pods)");
        Console.WriteLine("per 15 s). The runtime alone injects 1 thread per 500 ms while work waits and CPU < 80 % (1 per goal-seconds");
        Console.WriteLine("above): its gate thread, generously modelled, without hill climbing. Seeded Poisson arrivals, 10 ms steps.");
        Console.WriteLine();

        Console.WriteLine(Invariant($"## Blocking burst on one pod: {burstLength.TotalSeconds} s of requests that block a thread (1 ms CPU each), from t = {SimulationScenarios.BurstStart.TotalSeconds} s"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"Delay recovery: from the burst's start until the scheduling delay is back under {delayThresholdMs} ms and stays there for {sustain.TotalSeconds} s."));
        Console.WriteLine("Latency recovery: from the burst's start until every later second's p99 latency is at most 1.5 × the wait (150 ms for 100 ms).");
        Console.WriteLine("In use: the most threads running a request in the burst's last minute, once recovered; peak ÷ in use is the overshoot.");
        Console.WriteLine();
        var bursts = new MarkdownTable(2, "burst", "control", "delay recovery (s)", "latency recovery (s)", "peak delay (ms)", "peak p99 (ms)", "peak threads", "peak min threads", "in use", "peak ÷ in use");
        foreach (var (rate, blocking) in new[] { (200.0, 100), (200.0, 1000), (100.0, 100), (200.0, 200) })
        {
            foreach (var (control, interval) in new (string, int?)[] { ("runtime only", null), ("operator, pods read every 15 s", 15_000), ("operator, every 1 s (default)", 1000) })
            {
                var options = SimulationScenarios.BlockingBurst(rate, TimeSpan.FromMilliseconds(blocking), burstLength, operatorEnabled: interval is not null,
                    podSignalIntervalMilliseconds: interval ?? 1000);
                var result = ClusterSimulation.Run(options);
                var burstEnd = SimulationScenarios.BurstStart + burstLength;
                var during = result.Between(SimulationScenarios.BurstStart, burstEnd).ToList();
                var recovery = result.RecoveryTime(SimulationScenarios.BurstStart, delayThresholdMs, sustain);
                var latency = result.LatencyRecoveryTime(SimulationScenarios.BurstStart, burstEnd, 1.5 * blocking);
                var inUse = result.Between(burstEnd - TimeSpan.FromSeconds(60), burstEnd).Max(s => s.MaxBusyThreads);
                var peakMin = result.Seconds.Max(s => s.MinThreads);
                bursts.Add(
                    Invariant($"{rate}/s x {blocking} ms"),
                    control,
                    recovery is { } r ? Invariant($"{r.TotalSeconds}") : "never",
                    latency is { } l ? Invariant($"{l.TotalSeconds}") : "never",
                    Invariant($"{during.Max(s => s.WorstSchedulingDelayMs):0}"),
                    Invariant($"{during.Max(s => s.LatencyP99Ms ?? 0):0}"),
                    Invariant($"{result.Seconds.Max(s => s.MaxThreadCount)}"),
                    Invariant($"{peakMin}"),
                    Invariant($"{inUse}"),
                    interval is null ? "-" : Invariant($"{(double)peakMin / inUse:0.00}"));
            }
        }

        Console.WriteLine(bursts);

        Console.WriteLine("## CPU ramp: requests of 20 ms CPU, from 20/s to the peak over 5 min, then 10 min at the peak");
        Console.WriteLine();
        Console.WriteLine("Needed: the fewest replicas that hold CPU at or under the target at the peak. Reached: seconds from the ramp's");
        Console.WriteLine("start until that many pods were ready. Direction changes: how often replicas (or min threads) turned round");
        Console.WriteLine("over the whole run; 0 means they only ever moved one way.");
        Console.WriteLine();
        var ramps = new MarkdownTable(2, "peak", "control", "needed replicas", "reached (s)", "final replicas", "replica direction changes", "min threads raised", "min-thread direction changes", "peak p95 latency (ms)");
        foreach (var peak in new[] { 140.0, 275.0 })
        {
            foreach (var enabled in new[] { false, true })
            {
                var options = SimulationScenarios.CpuRamp(peak, enabled);
                var result = ClusterSimulation.Run(options);
                var needed = SimulationScenarios.NeededReplicas(peak, TimeSpan.FromMilliseconds(20), options.Policy);
                var reached = result.Seconds.FirstOrDefault(s => s.ReadyPods >= needed);
                ramps.Add(
                    Invariant($"{peak}/s ({peak * 0.02:0.0#} cores)"),
                    enabled ? "operator" : "runtime only",
                    Invariant($"{needed}"),
                    reached is null ? "never" : Invariant($"{reached.Time.TotalSeconds}"),
                    Invariant($"{result.Seconds[^1].Replicas}"),
                    Invariant($"{result.ReplicaDirectionChanges}"),
                    Invariant($"{result.Evaluations.Count(e => e.Decision.MinThreadsAction == MinThreadsAction.Raise)}"),
                    Invariant($"{result.MinThreadsDirectionChanges}"),
                    Invariant($"{result.Seconds.Max(s => s.LatencyP95Ms ?? 0):0}"));
            }
        }

        Console.WriteLine(ramps);

        Console.WriteLine("## Steady load: 10 min of 60/s CPU requests (20 ms) plus 60/s blocking requests (100 ms) over 2 pods, five seeds");
        Console.WriteLine();
        var steady = new MarkdownTable(1, "seed", "replica changes", "replica direction changes", "min-thread changes", "min-thread direction changes", "final replicas", "final min threads");
        foreach (var seed in Enumerable.Range(1, 5))
        {
            var result = ClusterSimulation.Run(SimulationScenarios.SteadyLoad(seed));
            steady.Add(
                Invariant($"{seed}"),
                Invariant($"{result.ReplicaChanges}"),
                Invariant($"{result.ReplicaDirectionChanges}"),
                Invariant($"{result.MinThreadsChanges}"),
                Invariant($"{result.MinThreadsDirectionChanges}"),
                Invariant($"{result.Seconds[^1].Replicas}"),
                Invariant($"{result.Seconds[^1].MinThreads}"));
        }

        Console.WriteLine(steady);
        Console.WriteLine(Invariant($"Simulated in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s."));
    }
}
