using System.Diagnostics;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Loops;

/// <summary>What the min-threads loop of one autoscaler remembers between ticks.</summary>
public sealed class MinThreadsMemory
{
    /// <summary>What the operator wants every pod to have; null until a pod has reported (then it adopts).</summary>
    public int? Desired { get; set; }

    public RecommendationHistory History { get; set; } = RecommendationHistory.Empty;

    public ReportedMinThreads Reported { get; } = new();

    /// <summary>The last push error of each pod whose last push failed.</summary>
    public IReadOnlyDictionary<string, string> PushErrors { get; set; } = new Dictionary<string, string>();

    /// <summary>The last tick's decision, and the last one that acted or changed reason (what status reports).</summary>
    public Decision? Latest { get; set; }

    public Decision? LastNewsworthy { get; set; }

    public DateTimeOffset? LastNewsworthyTime { get; set; }
}

/// <summary>One tick of the min-threads loop: what it decided, from which value, and what it pushed.</summary>
/// <param name="Current">The value the decision started from: the operator's own wish, or (after a restart, or observing) the highest a pod reported.</param>
public sealed record MinThreadsTick(Decision Decision, int Current, IReadOnlyList<PushResult> Pushes);

/// <summary>
/// The fast loop, shared by cluster and local mode: read every pod's control port (observe), decide with
/// <see cref="ScalingDecider.DecideMinThreads"/>, push the desired value to the pods that report a
/// different one (act), and count, log and remember (report). It never pushes on a decision that held for
/// missing data, and only to pods that have just answered, so a silent pod is never pushed blindly. A
/// (re)started operator adopts the highest value a pod reports, so a fix in place survives the restart;
/// a pod that restarted (and reports the runtime default) gets the desired value on its first reading.
/// </summary>
public sealed partial class MinThreadsLoop(
    ScrapeSignalSource signals,
    MinThreadsRollout rollout,
    OperatorMetrics metrics,
    TimeProvider clock,
    ILogger<MinThreadsLoop> logger)
{
    public async Task<MinThreadsTick> TickAsync(
        string autoscaler,
        AutoscalerPolicy policy,
        AutoscalerMode mode,
        IReadOnlyList<PodTarget> pods,
        int currentReplicas,
        string? token,
        MinThreadsMemory memory,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var names = pods.Select(p => p.Name).ToList();

        // Observe.
        var readings = await signals.ReadAsync(pods, policy.PodSignalInterval, cancellationToken);
        memory.Reported.Retain(names);
        memory.Reported.Observe(readings);
        var answered = readings.Where(r => r.SampleTime is not null).Select(r => r.Pod).ToHashSet();
        var reportedMax = readings.Where(r => r.SampleTime is not null).Select(r => r.MinWorkerThreads).Max();
        var enforce = mode == AutoscalerMode.Enforce;
        var current = (enforce ? memory.Desired ?? reportedMax : reportedMax) ?? policy.MinThreadsBaseline;

        // Decide.
        var outcome = ScalingDecider.DecideMinThreads(new DecisionInput(policy, readings, currentReplicas, current, clock.GetUtcNow()), memory.History);
        memory.History = outcome.History;
        var decision = outcome.Decision;

        // Act.
        IReadOnlyList<PushResult> pushes = [];
        if (enforce && !decision.Holds && reportedMax is not null)
        {
            memory.Desired = decision.DesiredMinThreads;
            if (token is not null)
            {
                var reachable = pods.Where(p => answered.Contains(p.Name)).ToList();
                pushes = await rollout.ConvergeAsync(reachable, memory.Reported.For(names), decision.DesiredMinThreads, token, cancellationToken);
                memory.Reported.Observe(pushes, clock.GetUtcNow());
                memory.PushErrors = pushes.Where(p => p.Error is not null).ToDictionary(p => p.Pod, p => p.Error!);
                foreach (var failed in memory.PushErrors)
                {
                    metrics.RecordError("pod_admin");
                    LogPushFailed(logger, autoscaler, failed.Key, failed.Value);
                }
            }
        }

        // Report.
        memory.Latest = decision;
        if (decision.Acts || memory.LastNewsworthy?.Reason != decision.Reason)
        {
            memory.LastNewsworthy = decision;
            memory.LastNewsworthyTime = clock.GetUtcNow();
        }
        var atDesired = memory.Reported.For(names).Values.Count(v => v == decision.DesiredMinThreads);
        metrics.RecordDecision(autoscaler, OperatorMetrics.MinThreadsLoop, decision);
        metrics.SetMinThreadsState(autoscaler, decision.DesiredMinThreads, atDesired);
        metrics.SetMinThreadsInputs(autoscaler, decision, policy);
        metrics.RecordReconcile(autoscaler, OperatorMetrics.MinThreadsLoop, Stopwatch.GetElapsedTime(started));
        if (decision.Acts)
        {
            LogDecision(logger, autoscaler, decision.Regime, decision.MinThreadsAction, current, decision.DesiredMinThreads, decision.Reason, decision.Message,
                !enforce ? "observe mode: nothing applied" : token is null ? "not applied: no admin token" : $"pushed to {pushes.Count(p => p.Succeeded && p.Applied is not null)} pod(s)");
        }
        return new MinThreadsTick(decision, current, pushes);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Autoscaler} {Regime}: min threads {MinThreadsAction} {CurrentMinThreads} -> {DesiredMinThreads}; {Reason}: {Explanation} ({Effect})")]
    private static partial void LogDecision(ILogger logger, string autoscaler, Regime regime, MinThreadsAction minThreadsAction, int currentMinThreads, int desiredMinThreads,
        string reason, string explanation, string effect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Autoscaler}: could not set min threads on {Pod}: {Error}")]
    private static partial void LogPushFailed(ILogger logger, string autoscaler, string pod, string error);
}
