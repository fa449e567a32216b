using k8s;
using k8s.Models;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// keda.sh/v1alpha1 ScaledObject: only what is needed to detect a co-managing KEDA. The client has no model for
/// another project's custom resource; unknown fields are ignored on read, and the operator never writes one.
/// </summary>
public sealed class ScaledObject : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "keda.sh";
    public const string Version = "v1alpha1";
    public const string Plural = "scaledobjects";

    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    public string Kind { get; set; } = "ScaledObject";

    public V1ObjectMeta Metadata { get; set; } = new();

    public ScaledObjectSpec Spec { get; set; } = new();
}

public sealed class ScaledObjectSpec
{
    /// <summary>KEDA's scaleTargetRef has the HPA's shape; kind may be omitted for a Deployment.</summary>
    public V2CrossVersionObjectReference? ScaleTargetRef { get; set; }
}
