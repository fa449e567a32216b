using System.Globalization;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Controller;

/// <summary>
/// Writes an autoscaler's status, composed from what both loops remember, onto its latest version: a 409
/// (someone edited the object) takes the latest object and writes again, up to three times.
/// </summary>
public sealed partial class StatusWriter(IKubernetesApi api, OperatorMetrics metrics, ILogger<StatusWriter> logger)
{
    public async Task WriteAsync(ThreadPoolAutoscaler autoscaler, AutoscalerMemory memory, DateTimeOffset now, CancellationToken cancellationToken)
    {
        autoscaler.Status = Compose(autoscaler, memory);
        var ns = autoscaler.Metadata.NamespaceProperty!;
        var name = autoscaler.Metadata.Name!;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await api.ReplaceAutoscalerStatusAsync(autoscaler, cancellationToken);
                return;
            }
            catch (ConflictException) when (attempt < 4)
            {
                var latest = await api.GetAutoscalerAsync(ns, name, cancellationToken);
                if (latest is null)
                {
                    return;
                }
                latest.Status = autoscaler.Status;
                autoscaler = latest;
            }
            catch (KubernetesApiException ex)
            {
                metrics.RecordError("kubernetes");
                LogStatusFailed(logger, memory.Name, ex.Message);
                return;
            }
        }
    }

    /// <summary>The status both loops report: replicas from the replica loop, min threads from the min-threads loop.</summary>
    public static ThreadPoolAutoscalerStatus Compose(ThreadPoolAutoscaler autoscaler, AutoscalerMemory memory)
    {
        var minThreads = memory.MinThreads;
        var reported = minThreads.Reported.For(memory.RunningPods.Select(p => p.Name));
        var lastReplica = memory.LastReplicaDecision;
        var lastMinThreads = minThreads.LastNewsworthy;
        var latest = lastMinThreads is not null && (lastReplica is null || minThreads.LastNewsworthyTime >= memory.LastReplicaDecisionTime)
            ? Describe(lastMinThreads, OperatorMetrics.MinThreadsLoop, minThreads.LastNewsworthyTime!.Value)
            : lastReplica is not null ? Describe(lastReplica, OperatorMetrics.ReplicaLoop, memory.LastReplicaDecisionTime!.Value) : null;
        return new ThreadPoolAutoscalerStatus
        {
            ObservedGeneration = autoscaler.Metadata.Generation,
            CurrentReplicas = memory.CurrentReplicas,
            DesiredReplicas = lastReplica?.DesiredReplicas,
            DesiredMinThreads = minThreads.Desired,
            ReadyPods = memory.ReadyPods,
            PodsAtDesiredMinThreads = minThreads.Desired is { } desired ? reported.Values.Count(v => v == desired) : 0,
            Pods = memory.RunningPods.Select(p => new PodMinThreads
            {
                Name = p.Name,
                MinWorkerThreads = reported.GetValueOrDefault(p.Name),
                LastError = minThreads.PushErrors.GetValueOrDefault(p.Name),
            }).ToList(),
            LastScaleTime = memory.LastScaleTime,
            LastDecision = latest ?? autoscaler.Status?.LastDecision,
            Conditions = memory.Conditions,
        };
    }

    private static LastDecision Describe(Decision decision, string loop, DateTimeOffset time) => new()
    {
        Time = time,
        Loop = loop,
        ReplicaAction = decision.ReplicaAction.ToString(),
        MinThreadsAction = decision.MinThreadsAction.ToString(),
        Reason = decision.Reason,
        Message = decision.Message,
        Signals = new DecisionSignalsStatus
        {
            CpuUtilization = Format(decision.Signals.CpuUtilization),
            SchedulingDelayP90Milliseconds = Format(decision.Signals.SchedulingDelaySeconds * 1000),
            QueueLength = Format(decision.Signals.QueueLength),
            ThreadCount = Format(decision.Signals.ThreadCount),
            RequestRate = Format(decision.Signals.RequestRate),
            LatencyP95Milliseconds = Format(decision.Signals.LatencyP95Seconds * 1000),
            PodsWithData = decision.Signals.PodsWithData,
        },
    };

    private static string? Format(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Autoscaler}: status update failed: {Error}")]
    private static partial void LogStatusFailed(ILogger logger, string autoscaler, string error);
}
