using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.Operator.Kubernetes;

// The subset of Kubernetes object shapes this operator reads and writes, in the API's own JSON form
// (camelCase, RFC 3339 times). Unknown fields are ignored on read and never written back: status
// updates and patches carry only what the operator owns.

public sealed class ObjectMeta
{
    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public string? Uid { get; set; }

    public string? ResourceVersion { get; set; }

    public long? Generation { get; set; }

    public DateTimeOffset? CreationTimestamp { get; set; }

    public DateTimeOffset? DeletionTimestamp { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public Dictionary<string, string>? Annotations { get; set; }

    public List<OwnerReference>? OwnerReferences { get; set; }
}

public sealed class OwnerReference
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string? Uid { get; set; }

    public bool? Controller { get; set; }
}

public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }

    [JsonPropertyName("continue")]
    public string? Continue { get; set; }
}

/// <summary>A list response: items plus the resourceVersion to watch from.</summary>
public sealed class KubeList<T>
{
    public ListMeta Metadata { get; set; } = new();

    public List<T> Items { get; set; } = [];
}

/// <summary>One event of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
public sealed class WatchEvent<T>
{
    public string Type { get; set; } = "";

    public T? Object { get; set; }

    /// <summary>Set for ERROR events: the Status the server sent (410 Gone: resourceVersion too old).</summary>
    [JsonIgnore]
    public Status? Error { get; set; }
}

/// <summary>metav1.Status: the body of API errors.</summary>
public sealed class Status
{
    public string? Kind { get; set; }

    public string? ApiVersion { get; set; }

    [JsonPropertyName("status")]
    public string? Outcome { get; set; }

    public string? Message { get; set; }

    public string? Reason { get; set; }

    public int? Code { get; set; }
}

public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; set; }

    public List<LabelSelectorRequirement>? MatchExpressions { get; set; }
}

public sealed class LabelSelectorRequirement
{
    public string Key { get; set; } = "";

    [JsonPropertyName("operator")]
    public string Operator { get; set; } = "";

    public List<string>? Values { get; set; }
}

public sealed class Deployment
{
    public ObjectMeta Metadata { get; set; } = new();

    public DeploymentSpec Spec { get; set; } = new();

    public DeploymentStatus? Status { get; set; }
}

public sealed class DeploymentSpec
{
    public int? Replicas { get; set; }

    public LabelSelector? Selector { get; set; }
}

public sealed class DeploymentStatus
{
    public int? Replicas { get; set; }

    public int? ReadyReplicas { get; set; }

    public int? UpdatedReplicas { get; set; }

    public long? ObservedGeneration { get; set; }
}

/// <summary>autoscaling/v1 Scale: the subresource the replica actuator patches.</summary>
public sealed class Scale
{
    public ObjectMeta Metadata { get; set; } = new();

    public ScaleSpec Spec { get; set; } = new();

    public ScaleStatus? Status { get; set; }
}

public sealed class ScaleSpec
{
    public int? Replicas { get; set; }
}

public sealed class ScaleStatus
{
    public int Replicas { get; set; }

    public string? Selector { get; set; }
}

public sealed class Pod
{
    public ObjectMeta Metadata { get; set; } = new();

    public PodSpec Spec { get; set; } = new();

    public PodStatus? Status { get; set; }
}

public sealed class PodSpec
{
    public List<Container> Containers { get; set; } = [];
}

public sealed class Container
{
    public string Name { get; set; } = "";

    public ResourceRequirements? Resources { get; set; }

    public List<PortSpec>? Ports { get; set; }
}

/// <summary>core/v1 ContainerPort.</summary>
public sealed class PortSpec
{
    public string? Name { get; set; }

    public int ContainerPort { get; set; }
}

public sealed class ResourceRequirements
{
    /// <summary>Quantities as the API writes them: "500m", "1", "2Gi".</summary>
    public Dictionary<string, string>? Requests { get; set; }

    public Dictionary<string, string>? Limits { get; set; }
}

public sealed class PodStatus
{
    public string? Phase { get; set; }

    public string? PodIP { get; set; }

    public List<PodCondition>? Conditions { get; set; }
}

public sealed class PodCondition
{
    public string Type { get; set; } = "";

    public string Status { get; set; } = "";
}

public sealed class Secret
{
    public ObjectMeta Metadata { get; set; } = new();

    /// <summary>Base64-encoded values, as the API returns them.</summary>
    public Dictionary<string, string>? Data { get; set; }
}

/// <summary>core/v1 Event.</summary>
public sealed class Event
{
    public ObjectMeta Metadata { get; set; } = new();

    public ObjectReference InvolvedObject { get; set; } = new();

    public string? Reason { get; set; }

    public string? Message { get; set; }

    /// <summary>Normal or Warning.</summary>
    public string? Type { get; set; }

    public int? Count { get; set; }

    public DateTimeOffset? FirstTimestamp { get; set; }

    public DateTimeOffset? LastTimestamp { get; set; }

    public EventSource? Source { get; set; }

    public string? ReportingComponent { get; set; }

    public string? ReportingInstance { get; set; }
}

public sealed class EventSource
{
    public string? Component { get; set; }
}

public sealed class ObjectReference
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public string? Uid { get; set; }

    public string? ResourceVersion { get; set; }
}

/// <summary>coordination.k8s.io/v1 Lease, for leader election.</summary>
public sealed class Lease
{
    public string ApiVersion { get; set; } = "coordination.k8s.io/v1";

    public string Kind { get; set; } = "Lease";

    public ObjectMeta Metadata { get; set; } = new();

    public LeaseSpec Spec { get; set; } = new();
}

public sealed class LeaseSpec
{
    public string? HolderIdentity { get; set; }

    public int? LeaseDurationSeconds { get; set; }

    /// <summary>MicroTime: RFC 3339 with microseconds.</summary>
    public DateTimeOffset? AcquireTime { get; set; }

    public DateTimeOffset? RenewTime { get; set; }

    public int? LeaseTransitions { get; set; }
}

/// <summary>autoscaling/v2 HorizontalPodAutoscaler: only what is needed to detect a co-managing HPA.</summary>
public sealed class HorizontalPodAutoscaler
{
    public ObjectMeta Metadata { get; set; } = new();

    public ScaleTargetSpec Spec { get; set; } = new();
}

/// <summary>keda.sh/v1alpha1 ScaledObject: only what is needed to detect a co-managing KEDA.</summary>
public sealed class ScaledObject
{
    public ObjectMeta Metadata { get; set; } = new();

    public ScaleTargetSpec Spec { get; set; } = new();
}

public sealed class ScaleTargetSpec
{
    public CrossVersionObjectReference? ScaleTargetRef { get; set; }
}

public sealed class CrossVersionObjectReference
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }
}

/// <summary>metav1.Condition.</summary>
public sealed class Condition
{
    public string Type { get; set; } = "";

    /// <summary>True, False or Unknown.</summary>
    public string Status { get; set; } = "Unknown";

    public string Reason { get; set; } = "";

    public string Message { get; set; } = "";

    public DateTimeOffset LastTransitionTime { get; set; }

    public long? ObservedGeneration { get; set; }
}

/// <summary>The JSON settings of the Kubernetes API: camelCase, nulls omitted, enums as strings.</summary>
public static class KubeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Options);
}
