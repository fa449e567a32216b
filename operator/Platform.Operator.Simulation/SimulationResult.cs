using Platform.Operator.Decisions;

namespace Platform.Operator.Simulation;

/// <summary>The cluster as it was at the end of one simulated second (ready pods only for per-pod values).</summary>
/// <param name="Replicas">The Deployment's replica count (including pods still starting).</param>
/// <param name="MinThreads">The highest min threads any ready pod has applied.</param>
/// <param name="WorstSchedulingDelayMs">The worst pod's scheduling delay, the quantity the starvation threshold bounds.</param>
/// <param name="MaxThreadCount">The most pool threads any ready pod has.</param>
/// <param name="LatencyP95Ms">Of the requests completed in this second, queueing included.</param>
/// <param name="LatencyP99Ms">The same, p99.</param>
/// <param name="MaxBusyThreads">The most threads running a request in any ready pod.</param>
/// <param name="CpuUtilization">Average over ready pods, as a fraction of the CPU request.</param>
internal sealed record SimulationSecond(
    TimeSpan Time,
    int Replicas,
    int ReadyPods,
    int MinThreads,
    double WorstSchedulingDelayMs,
    int MaxThreadCount,
    double? LatencyP95Ms,
    double? LatencyP99Ms,
    int QueuedItems,
    double CpuUtilization,
    int MaxBusyThreads);

/// <summary>Which of the operator's loops made a decision.</summary>
internal enum SimulationLoop
{
    MinThreads,
    Replicas,
}

/// <summary>One evaluation of one of the operator's loops: the state it saw and what it decided.</summary>
internal sealed record SimulationEvaluation(TimeSpan Time, SimulationLoop Loop, int CurrentReplicas, int CurrentMinThreads, Decision Decision);

internal sealed record SimulationResult(SimulationOptions Options, IReadOnlyList<SimulationSecond> Seconds, IReadOnlyList<SimulationEvaluation> Evaluations)
{
    public IEnumerable<SimulationEvaluation> Of(SimulationLoop loop) => Evaluations.Where(e => e.Loop == loop);

    public int ReplicaDirectionChanges => DirectionChanges(Of(SimulationLoop.Replicas).Select(e => e.Decision.DesiredReplicas).Prepend(Options.InitialReplicas));

    public int MinThreadsDirectionChanges => DirectionChanges(Of(SimulationLoop.MinThreads).Select(e => e.Decision.DesiredMinThreads));

    public int ReplicaChanges => Of(SimulationLoop.Replicas).Count(e => e.Decision.ReplicaAction != ReplicaAction.None);

    public int MinThreadsChanges => Of(SimulationLoop.MinThreads).Count(e => e.Decision.MinThreadsAction != MinThreadsAction.None);

    /// <summary>The highest min threads the operator wanted at any point.</summary>
    public int PeakMinThreads => Of(SimulationLoop.MinThreads).Select(e => e.Decision.DesiredMinThreads).DefaultIfEmpty(0).Max();

    public IEnumerable<SimulationSecond> Between(TimeSpan from, TimeSpan to) => Seconds.Where(s => s.Time > from && s.Time <= to);

    /// <summary>
    /// From <paramref name="from"/> to the first second after the delay went over <paramref name="thresholdMs"/>
    /// from which it stayed at or under it for <paramref name="sustain"/>; null if it never recovered
    /// (zero if it never went over).
    /// </summary>
    public TimeSpan? RecoveryTime(TimeSpan from, double thresholdMs, TimeSpan sustain)
    {
        var after = Seconds.Where(s => s.Time > from).ToList();
        var firstOver = after.FindIndex(s => s.WorstSchedulingDelayMs > thresholdMs);
        if (firstOver < 0)
        {
            return TimeSpan.Zero;
        }

        for (var i = firstOver; i < after.Count; i++)
        {
            var window = after.Skip(i).TakeWhile(s => s.Time <= after[i].Time + sustain).ToList();
            if (window[^1].Time >= after[i].Time + sustain && window.All(s => s.WorstSchedulingDelayMs <= thresholdMs))
            {
                return after[i].Time - from;
            }
        }

        return null;
    }

    /// <summary>
    /// From <paramref name="from"/> until the start of the first second from which every later second up to
    /// <paramref name="until"/> has its p99 latency at or under <paramref name="thresholdMs"/>; null if that never happens.
    /// </summary>
    public TimeSpan? LatencyRecoveryTime(TimeSpan from, TimeSpan until, double thresholdMs)
    {
        var seconds = Between(from, until).ToList();
        var lastBad = seconds.FindLastIndex(s => s.LatencyP99Ms > thresholdMs);
        if (lastBad == seconds.Count - 1)
        {
            return null;
        }
        return lastBad < 0 ? TimeSpan.Zero : seconds[lastBad].Time - from;
    }

    /// <summary>How often a series turned round: up then down (or down then up) counts once; steps in one direction do not count.</summary>
    public static int DirectionChanges(IEnumerable<int> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var changes = 0;
        var lastDirection = 0;
        int? previous = null;
        foreach (var value in series)
        {
            if (previous is { } before && value != before)
            {
                var direction = Math.Sign(value - before);
                if (lastDirection != 0 && direction != lastDirection)
                {
                    changes++;
                }

                lastDirection = direction;
            }

            previous = value;
        }

        return changes;
    }
}
