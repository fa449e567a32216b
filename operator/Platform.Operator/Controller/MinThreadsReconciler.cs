using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Loops;

namespace Platform.Operator.Controller;

/// <summary>
/// The min-threads loop of one ThreadPoolAutoscaler in a cluster: every spec.podSignals interval, one
/// <see cref="MinThreadsLoop"/> tick over every running pod (Ready or not: a starved pod that fails its
/// readiness probe needs its threads most). It works from what the replica loop last observed (target,
/// token, pods) and lists the pods itself when that list is older than a few seconds, so new and
/// restarted pods are found quickly. Each action is an event; the status is written when something changed.
/// </summary>
public sealed partial class MinThreadsReconciler(
    IKubernetesApi api,
    EventRecorder events,
    MinThreadsLoop loop,
    StatusWriter status,
    TimeProvider clock,
    ILogger<MinThreadsReconciler> logger)
{
    /// <summary>How old the pod list may be before the loop lists the pods itself.</summary>
    public static readonly TimeSpan PodListMaxAge = TimeSpan.FromSeconds(5);

    public async Task TickAsync(ThreadPoolAutoscaler autoscaler, AutoscalerMemory memory, CancellationToken cancellationToken)
    {
        // The replica loop validates, finds the target and reports why it cannot; until it has, nothing is done here.
        if (SpecValidator.Validate(autoscaler.Spec).Policy is not { } policy || memory.BlockedReason is not null || memory.PodsListedAt is null)
        {
            return;
        }

        // Observe.
        var ns = autoscaler.Metadata.NamespaceProperty ?? "default";
        if (clock.GetUtcNow() - memory.PodsListedAt > PodListMaxAge)
        {
            try
            {
                var pods = await api.ListPodsAsync(ns, memory.PodSelector, cancellationToken);
                memory.RunningPods = pods.Items.Where(PodShapes.IsRunning).Select(p => PodShapes.Target(p, autoscaler.Spec)).ToList();
                memory.PodsListedAt = clock.GetUtcNow();
            }
            catch (KubernetesApiException ex)
            {
                // The last list stands in: the pods' control ports are read either way.
                LogPodListFailed(logger, memory.Name, ex.Message);
            }
        }
        var errorsBefore = memory.MinThreads.PushErrors;
        var reasonBefore = memory.MinThreads.Latest?.Reason;

        // Decide and act.
        var tick = await loop.TickAsync(memory.Name, policy, autoscaler.Spec.Mode, memory.RunningPods, memory.CurrentReplicas, memory.AdminToken, memory.MinThreads, cancellationToken);

        // Report.
        var decision = tick.Decision;
        var reference = AutoscalerReconciler.Reference(autoscaler);
        if (decision.Acts)
        {
            await events.RecordAsync(reference, EventRecorder.Normal, decision.Reason, $"Min threads: {decision.DesiredMinThreads}; reason: {decision.Message}", cancellationToken);
        }
        foreach (var (pod, error) in memory.MinThreads.PushErrors)
        {
            await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.FailedSetMinThreads, $"Pod {pod}: {error}", cancellationToken);
        }
        var changed = decision.Acts || reasonBefore != decision.Reason || !SameErrors(errorsBefore, memory.MinThreads.PushErrors);
        if (!changed)
        {
            return;
        }
        await memory.Gate.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            var answered = decision.Signals.PodsWithData;
            AutoscalerReconciler.SetCondition(memory, autoscaler, ConditionTypes.PodSignalsAvailable, !decision.Holds,
                decision.Holds ? decision.Reason : ControllerReasons.SignalsFresh,
                decision.Holds ? decision.Message : $"{answered} of {memory.RunningPods.Count} running pods answered on their control port.", now);
            await status.WriteAsync(autoscaler, memory, now, cancellationToken);
        }
        finally
        {
            memory.Gate.Release();
        }
    }

    private static bool SameErrors(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && other == e.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Autoscaler}: listing the pods failed, using the last list: {Error}")]
    private static partial void LogPodListFailed(ILogger logger, string autoscaler, string error);
}
