using k8s.Models;
using Platform.Operator.Decisions;
using Platform.Operator.Loops;
using Platform.Operator.Signals;

namespace Platform.Operator.Controller;

/// <summary>
/// What the operator keeps about one autoscaler between evaluations: each loop's anti-flap memory, what
/// the replica loop last observed (the min-threads loop works from it between replica evaluations), and
/// the status both loops write. Access goes through <see cref="Gate"/>, so the two loops never interleave
/// a decision or a status write.
/// </summary>
public sealed class AutoscalerMemory(string name)
{
    /// <summary>namespace/name: the autoscaler label of metrics and logs.</summary>
    public string Name { get; } = name;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public RecommendationHistory ReplicaHistory { get; set; } = RecommendationHistory.Empty;

    public MinThreadsMemory MinThreads { get; } = new();

    /// <summary>Why the replica loop could not act (invalid spec, no target, another autoscaler): the min-threads loop does not act either.</summary>
    public string? BlockedReason { get; set; }

    /// <summary>The conflicting-autoscaler kinds the API server answered 404 for, each said once (an event and a log line).</summary>
    public HashSet<string> UnservedAutoscalerApis { get; } = new(StringComparer.Ordinal);

    /// <summary>The running pods (Ready or not) and when they were listed; the min-threads loop refreshes them when old.</summary>
    public IReadOnlyList<PodTarget> RunningPods { get; set; } = [];

    public DateTimeOffset? PodsListedAt { get; set; }

    /// <summary>The target Deployment's pod selector, as the replica loop last read it.</summary>
    public string? PodSelector { get; set; }

    public int CurrentReplicas { get; set; }

    public int ReadyPods { get; set; }

    /// <summary>The admin token, read from its Secret by the replica loop; null when the Secret is missing.</summary>
    public string? AdminToken { get; set; }

    public DateTimeOffset? LastScaleTime { get; set; }

    public Decision? LastReplicaDecision { get; set; }

    public DateTimeOffset? LastReplicaDecisionTime { get; set; }

    /// <summary>Conditions as the loops last set them; the status is composed from these and the rest.</summary>
    public List<V1Condition>? Conditions { get; set; }
}
