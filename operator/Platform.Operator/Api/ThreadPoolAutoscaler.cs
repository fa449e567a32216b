using k8s;
using k8s.Models;

namespace Platform.Operator.Api;

/// <summary>
/// The custom resource (autoscaling.platform.dev/v1alpha1, kind ThreadPoolAutoscaler, short name tpa):
/// which Deployment to watch, where its signals are, and the bounds of every action. The CRD's OpenAPI
/// schema in charts/platform/crds mirrors these types; a test keeps the two in step. The object and list
/// metadata are the Kubernetes client's own types, so the CR goes through the same calls and JSON as its models.
/// </summary>
public sealed class ThreadPoolAutoscaler : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "autoscaling.platform.dev";
    public const string Version = "v1alpha1";
    public const string KindName = "ThreadPoolAutoscaler";
    public const string Plural = "threadpoolautoscalers";
    public const string ApiVersionName = Group + "/" + Version;

    public string ApiVersion { get; set; } = ApiVersionName;

    public string Kind { get; set; } = KindName;

    public V1ObjectMeta Metadata { get; set; } = new();

    public ThreadPoolAutoscalerSpec Spec { get; set; } = new();

    public ThreadPoolAutoscalerStatus? Status { get; set; }
}

public enum AutoscalerMode
{
    /// <summary>Decide and act.</summary>
    Enforce,

    /// <summary>Decide and report (status, events, metrics), change nothing.</summary>
    Observe,
}

public sealed class ThreadPoolAutoscalerSpec
{
    public TargetReference TargetRef { get; set; } = new();

    public AutoscalerMode Mode { get; set; } = AutoscalerMode.Enforce;

    /// <summary>How often replicas are evaluated from Prometheus; close to its scrape interval. Min threads have their own, shorter loop (podSignals).</summary>
    public int EvaluationIntervalSeconds { get; set; } = 15;

    public PrometheusSource Prometheus { get; set; } = new();

    public MinThreadsPolicy MinThreads { get; set; } = new();

    public PodSignalSource PodSignals { get; set; } = new();

    public ReplicaPolicy Replicas { get; set; } = new();

    public CpuPolicy Cpu { get; set; } = new();

    public StarvationPolicy Starvation { get; set; } = new();

    public ScalingBehavior Behavior { get; set; } = new();

    public AdminEndpoint Admin { get; set; } = new();
}

/// <summary>The Deployment to scale, in the autoscaler's namespace.</summary>
public sealed class TargetReference
{
    public string ApiVersion { get; set; } = "apps/v1";

    public string Kind { get; set; } = "Deployment";

    public string Name { get; set; } = "";
}

public sealed class PrometheusSource
{
    public string Url { get; set; } = "";

    /// <summary>The range of rate() and quantile queries.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Samples older than this count as absent: decisions hold.</summary>
    public int MaxStalenessSeconds { get; set; } = 60;
}

public sealed class MinThreadsPolicy
{
    /// <summary>Where min threads decay back to when the pods are idle.</summary>
    public int Baseline { get; set; } = 2;

    /// <summary>
    /// Never above this. 500 covers a pod that blocks 200 requests a second for a whole second, with room
    /// to drain its backlog; every thread costs stack memory, so it is a bound worth setting per workload.
    /// </summary>
    public int Max { get; set; } = 500;
}

/// <summary>
/// Where and how often the min-threads loop reads each pod directly: the API's control port, which answers
/// while the pod's thread pool is starved. Prometheus's windows are a minute long; starvation needs an
/// answer within seconds.
/// </summary>
public sealed class PodSignalSource
{
    /// <summary>The API's Control:Port (its /metrics without a pool thread).</summary>
    public int Port { get; set; } = 9464;

    /// <summary>How often every pod is read and min threads decided; also the time a backlog is given to drain.</summary>
    public int IntervalMilliseconds { get; set; } = 1000;
}

public sealed class ReplicaPolicy
{
    public int Min { get; set; } = 1;

    public int Max { get; set; } = 10;
}

public sealed class CpuPolicy
{
    /// <summary>HPA-style target: average CPU use as a percentage of the pods' CPU request.</summary>
    public int TargetUtilizationPercent { get; set; } = 70;
}

public sealed class StarvationPolicy
{
    /// <summary>Average thread-pool queue length over the window above which a pod counts as starved.</summary>
    public double QueueLengthThreshold { get; set; } = 10;

    /// <summary>p90 scheduling delay above which a pod counts as starved.</summary>
    public int SchedulingDelayThresholdMilliseconds { get; set; } = 50;
}

public sealed class ScalingBehavior
{
    /// <summary>No action while the usage ratio is within this of 1.0 (the HPA's default is 0.1).</summary>
    public double Tolerance { get; set; } = 0.1;

    public int ScaleUpStabilizationWindowSeconds { get; set; }

    public int ScaleDownStabilizationWindowSeconds { get; set; } = 300;

    /// <summary>Scale-up limit per period: the larger of this percentage of current replicas and ScaleUpLimitPods.</summary>
    public int ScaleUpLimitPercent { get; set; } = 100;

    public int ScaleUpLimitPods { get; set; } = 4;

    public int ScaleUpPeriodSeconds { get; set; } = 15;
}

public sealed class AdminEndpoint
{
    public SecretKeyReference TokenSecretRef { get; set; } = new();

    /// <summary>The API's Admin:Port: /admin is served there by its control listener, so a NetworkPolicy can admit only the operator.</summary>
    public int Port { get; set; } = 8081;
}

public sealed class SecretKeyReference
{
    public string Name { get; set; } = "";

    public string Key { get; set; } = "token";
}

public sealed class ThreadPoolAutoscalerStatus
{
    public long? ObservedGeneration { get; set; }

    public int? CurrentReplicas { get; set; }

    public int? DesiredReplicas { get; set; }

    public int? DesiredMinThreads { get; set; }

    /// <summary>Ready pods whose reported min worker threads equal DesiredMinThreads.</summary>
    public int? PodsAtDesiredMinThreads { get; set; }

    public int? ReadyPods { get; set; }

    /// <summary>What each ready pod actually applied, as it reported it (never what was asked).</summary>
    public List<PodMinThreads>? Pods { get; set; }

    public DateTimeOffset? LastScaleTime { get; set; }

    public LastDecision? LastDecision { get; set; }

    public List<V1Condition>? Conditions { get; set; }
}

public sealed class PodMinThreads
{
    public string Name { get; set; } = "";

    public int? MinWorkerThreads { get; set; }

    public string? LastError { get; set; }
}

public sealed class LastDecision
{
    public DateTimeOffset Time { get; set; }

    /// <summary>Which loop decided: min_threads (every podSignals interval) or replicas (every evaluation).</summary>
    public string Loop { get; set; } = "";

    public string ReplicaAction { get; set; } = "";

    public string MinThreadsAction { get; set; } = "";

    public string Reason { get; set; } = "";

    public string Message { get; set; } = "";

    public DecisionSignalsStatus? Signals { get; set; }
}

/// <summary>The aggregated signal values a decision was made on, as strings so any precision survives kubectl.</summary>
public sealed class DecisionSignalsStatus
{
    public string? CpuUtilization { get; set; }

    public string? SchedulingDelayP90Milliseconds { get; set; }

    public string? QueueLength { get; set; }

    public string? ThreadCount { get; set; }

    public string? RequestRate { get; set; }

    public string? LatencyP95Milliseconds { get; set; }

    public int PodsWithData { get; set; }
}
