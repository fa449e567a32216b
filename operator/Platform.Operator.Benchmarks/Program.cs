using System.Diagnostics;
using Platform.Operator.Decisions;
using Platform.Operator.Decisions.Simulation;
using Platform.Testing;
using static System.FormattableString;

// Every run is a fixed-seed simulation: the same build prints the same tables.
var started = Stopwatch.GetTimestamp();
var delayThresholdMs = SimulationScenarios.PolicyOf(SimulationScenarios.DefaultSpec()).StarvationSchedulingDelay.TotalMilliseconds;
var burstLength = TimeSpan.FromSeconds(180);
var sustain = TimeSpan.FromSeconds(10);

Console.WriteLine("# Operator decisions in a simulated cluster");
Console.WriteLine();
Console.WriteLine("Pods: 2 cores, CPU request 1 core, 2 replicas to start (spec.replicas 2..20). Policy: the CRD defaults");
Console.WriteLine("(min threads baseline 2, step 64, max 200; CPU target 70 %; tolerance 0.1; scale-down window 300 s;");
Console.WriteLine("scale-up max(100 %, 4 pods) per 15 s; evaluation every 15 s) over a 15 s signal window. The runtime alone");
Console.WriteLine("injects 1 thread per 500 ms while work waits and CPU < 80 % (1 per goal-seconds above): its gate thread,");
Console.WriteLine("generously modelled, without hill climbing. Seeded Poisson arrivals, 10 ms steps.");
Console.WriteLine();

Console.WriteLine(Invariant($"## Blocking burst: {burstLength.TotalSeconds} s of requests that block a thread (1 ms CPU each), from t = {SimulationScenarios.BurstStart.TotalSeconds} s"));
Console.WriteLine();
Console.WriteLine(Invariant($"Recovery: from the burst's start until the worst pod's scheduling delay is back under {delayThresholdMs} ms and stays there for {sustain.TotalSeconds} s."));
Console.WriteLine();
var bursts = new MarkdownTable(2, "burst", "control", "recovery (s)", "peak delay (ms)", "peak p95 latency (ms)", "peak threads/pod", "peak min threads", "max replicas");
foreach (var (rate, blocking) in new[] { (100.0, 100), (200.0, 200), (200.0, 1000) })
{
    foreach (var (control, step) in new (string, int?)[] { ("runtime only", null), ("operator, step 16", 16), ("operator, step 64 (default)", 64) })
    {
        var options = SimulationScenarios.BlockingBurst(rate, TimeSpan.FromMilliseconds(blocking), burstLength, operatorEnabled: step is not null);
        if (step is { } minThreadsStep)
        {
            options = options with { Policy = options.Policy with { MinThreadsStep = minThreadsStep } };
        }

        var result = ClusterSimulation.Run(options);
        var during = result.Between(SimulationScenarios.BurstStart, SimulationScenarios.BurstStart + burstLength).ToList();
        var recovery = result.RecoveryTime(SimulationScenarios.BurstStart, delayThresholdMs, sustain);
        bursts.Add(
            Invariant($"{rate}/s x {blocking} ms"),
            control,
            recovery is { } r ? Invariant($"{r.TotalSeconds}") : "never",
            Invariant($"{during.Max(s => s.WorstSchedulingDelayMs):0}"),
            Invariant($"{during.Max(s => s.LatencyP95Ms ?? 0):0}"),
            Invariant($"{result.Seconds.Max(s => s.MaxThreadCount)}"),
            Invariant($"{result.Seconds.Max(s => s.MinThreads)}"),
            Invariant($"{result.Seconds.Max(s => s.Replicas)}"));
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

Console.WriteLine("## Steady load: 10 min of 60/s CPU requests (20 ms) plus 60/s blocking requests (100 ms), five seeds");
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
return 0;
