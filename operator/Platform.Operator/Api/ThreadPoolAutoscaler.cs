using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using k8s;
using k8s.Models;

namespace Platform.Operator.Api;

/// <summary>
/// The custom resource (autoscaling.platform.dev/v1alpha1, kind ThreadPoolAutoscaler, short name tpa):
/// which Deployment to watch, where its signals are, and the bounds of every action. The CRD's OpenAPI
/// schema in charts/platform/crds is generated from these types (tools/Platform.SpecGen). The object and list
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

    [Required]
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

// The attributes below are the spec's one source: tools/Platform.SpecGen writes the CRD's openAPIV3Schema and the
// chart's values-schema block from them, and SpecValidator checks them by reflection. A default is the property's
// initial value (an empty string means "no default"); [Required] marks a field the writer must give.

public sealed class ThreadPoolAutoscalerSpec
{
    [Required]
    [Description("The Deployment to scale, in this namespace.")]
    public TargetReference TargetRef { get; set; } = new();

    [Description("Enforce acts; Observe decides and reports but changes nothing.")]
    public AutoscalerMode Mode { get; set; } = AutoscalerMode.Enforce;

    [Range(5, 3600)]
    [Description("How often replicas are evaluated from Prometheus; close to its scrape interval. Min threads have their own loop (podSignals).")]
    public int EvaluationIntervalSeconds { get; set; } = 15;

    public PrometheusSource Prometheus { get; set; } = new();

    public MinThreadsPolicy MinThreads { get; set; } = new();

    [Description("Where and how often the min-threads loop reads each pod directly (the API's control port, which answers while the pod is starved).")]
    public PodSignalSource PodSignals { get; set; } = new();

    public ReplicaPolicy Replicas { get; set; } = new();

    public CpuPolicy Cpu { get; set; } = new();

    public StarvationPolicy Starvation { get; set; } = new();

    public ScalingBehavior Behavior { get; set; } = new();

    [Required]
    [Description("How to reach each pod's /admin/threadpool endpoint.")]
    public AdminEndpoint Admin { get; set; } = new();
}

/// <summary>The bounds several parts of the operator share.</summary>
public static class SpecLimits
{
    public const int MaxReplicas = 1000;
    public const int MaxWorkerThreads = 32767;
    public const double MaxQueueLengthThreshold = 1e6;
    public const double MaxTolerance = 0.5;
    public const int MaxStabilizationWindowSeconds = 3600;
    public const int MaxScaleUpPeriodSeconds = 1800;
    public const int MinPodSignalIntervalMilliseconds = 200;
    public const int MaxPodSignalIntervalMilliseconds = 60_000;
    public const int MaxPort = 65535;
    public const int MaxNameLength = 253;

    /// <summary>A DNS-1123 subdomain, as Kubernetes names Deployments.</summary>
    public const string Dns1123Subdomain = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>Empty, or http(s):// with a host free of spaces, then an optional path, query or fragment.</summary>
    public const string HttpUrlOrEmpty = "^(https?://[^\\s/?#]+([/?#]\\S*)?)?$";
}

/// <summary>The Deployment to scale, in the autoscaler's namespace.</summary>
public sealed class TargetReference
{
    [AllowedValues("apps/v1")]
    public string ApiVersion { get; set; } = "apps/v1";

    [AllowedValues("Deployment")]
    public string Kind { get; set; } = "Deployment";

    [Required]
    [StringLength(SpecLimits.MaxNameLength, MinimumLength = 1)]
    [RegularExpression(SpecLimits.Dns1123Subdomain, ErrorMessage = "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit")]
    public string Name { get; set; } = "";
}

public sealed class PrometheusSource
{
    [MaxLength(2048)]
    [RegularExpression(SpecLimits.HttpUrlOrEmpty, ErrorMessage = "must be empty or an absolute http or https URL")]
    [Description("Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090.")]
    public string Url { get; set; } = "";

    [Range(10, 3600)]
    [Description("Range of the rate() and quantile queries.")]
    public int WindowSeconds { get; set; } = 60;

    [Range(1, 3600)]
    [Description("Samples older than this count as absent, and every decision holds.")]
    public int MaxStalenessSeconds { get; set; } = 60;
}

public sealed class MinThreadsPolicy
{
    [Range(1, SpecLimits.MaxWorkerThreads)]
    [NotAbove(nameof(Max))]
    [Description("Where min threads decay to when the pods are idle.")]
    public int Baseline { get; set; } = 2;

    /// <remarks>Every thread costs stack memory, so it is a bound worth setting per workload.</remarks>
    [Range(1, SpecLimits.MaxWorkerThreads)]
    [Description("Min threads never go above this (500 covers a pod that blocks 200 requests a second for a whole second, with room to drain its backlog).")]
    public int Max { get; set; } = 500;
}

/// <summary>
/// Prometheus's windows are a minute long; starvation needs an answer within seconds, so the min-threads loop reads
/// the pods' control port, which answers while the thread pool is starved.
/// </summary>
public sealed class PodSignalSource
{
    [Range(1, SpecLimits.MaxPort)]
    [Description("The API's Control:Port.")]
    public int Port { get; set; } = 9464;

    [Range(SpecLimits.MinPodSignalIntervalMilliseconds, SpecLimits.MaxPodSignalIntervalMilliseconds)]
    [Description("How often every pod is read and min threads decided; also the time a backlog is given to drain.")]
    public int IntervalMilliseconds { get; set; } = 1000;
}

public sealed class ReplicaPolicy
{
    [Range(1, SpecLimits.MaxReplicas)]
    [NotAbove(nameof(Max))]
    public int Min { get; set; } = 1;

    [Range(1, SpecLimits.MaxReplicas)]
    public int Max { get; set; } = 10;
}

public sealed class CpuPolicy
{
    [Range(1, 100)]
    [Description("HPA-style target, as a percentage of the pods' CPU request. At or above it the pods are saturated.")]
    public int TargetUtilizationPercent { get; set; } = 70;
}

public sealed class StarvationPolicy
{
    [Range(0d, SpecLimits.MaxQueueLengthThreshold, MinimumIsExclusive = true)]
    [Description("Average thread-pool queue length above which a pod counts as starved (while CPU is below target).")]
    public double QueueLengthThreshold { get; set; } = 10;

    [Range(1, 60000)]
    [Description("p90 scheduling delay above which a pod counts as starved (while CPU is below target).")]
    public int SchedulingDelayThresholdMilliseconds { get; set; } = 50;
}

public sealed class ScalingBehavior
{
    /// <remarks>The HPA's default is 0.1.</remarks>
    [Range(0d, SpecLimits.MaxTolerance)]
    [Description("No replica change while the usage ratio is within this of 1.0.")]
    public double Tolerance { get; set; } = 0.1;

    [Range(0, SpecLimits.MaxStabilizationWindowSeconds)]
    public int ScaleUpStabilizationWindowSeconds { get; set; }

    [Range(0, SpecLimits.MaxStabilizationWindowSeconds)]
    [Description("Scale-in and min-threads decay use the highest recommendation within this window.")]
    public int ScaleDownStabilizationWindowSeconds { get; set; } = 300;

    /// <summary>Scale-up limit per period: the larger of this percentage of current replicas and ScaleUpLimitPods.</summary>
    [Range(1, 1000)]
    public int ScaleUpLimitPercent { get; set; } = 100;

    [Range(1, SpecLimits.MaxReplicas)]
    public int ScaleUpLimitPods { get; set; } = 4;

    [Range(1, SpecLimits.MaxScaleUpPeriodSeconds)]
    public int ScaleUpPeriodSeconds { get; set; } = 15;
}

public sealed class AdminEndpoint
{
    [Range(1, SpecLimits.MaxPort)]
    [Description("The API's admin port (Admin__Port), separate from traffic so a NetworkPolicy can admit only the operator.")]
    public int Port { get; set; } = 8081;

    [Required]
    public SecretKeyReference TokenSecretRef { get; set; } = new();
}

public sealed class SecretKeyReference
{
    [Required]
    [StringLength(SpecLimits.MaxNameLength, MinimumLength = 1)]
    public string Name { get; set; } = "";

    [MinLength(1)]
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

    public DateTimeOffset? LastScaleTime { get; set; }

    /// <summary>Never what was asked.</summary>
    [MaxLength(SpecLimits.MaxReplicas)]
    [Description("What each ready pod actually applied, as it reported it.")]
    public List<PodMinThreads>? Pods { get; set; }

    public LastDecision? LastDecision { get; set; }

    public List<V1Condition>? Conditions { get; set; }
}

public sealed class PodMinThreads
{
    [Required]
    public string Name { get; set; } = "";

    public int? MinWorkerThreads { get; set; }

    public string? LastError { get; set; }
}

public sealed class LastDecision
{
    public DateTimeOffset Time { get; set; }

    /// <summary>min_threads decides every podSignals interval, replicas every evaluation.</summary>
    [Description("Which loop decided, min_threads or replicas.")]
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
