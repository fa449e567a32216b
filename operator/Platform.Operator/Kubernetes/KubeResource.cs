using Platform.Operator.Api;

namespace Platform.Operator.Kubernetes;

/// <summary>An API resource (group, version, plural, scope) and the REST paths of its objects.</summary>
public sealed record KubeResource(string Group, string Version, string Plural, bool Namespaced = true)
{
    public static readonly KubeResource Pods = new("", "v1", "pods");
    public static readonly KubeResource Secrets = new("", "v1", "secrets");
    public static readonly KubeResource Events = new("", "v1", "events");
    public static readonly KubeResource Deployments = new("apps", "v1", "deployments");
    public static readonly KubeResource HorizontalPodAutoscalers = new("autoscaling", "v2", "horizontalpodautoscalers");
    public static readonly KubeResource Leases = new("coordination.k8s.io", "v1", "leases");
    public static readonly KubeResource ScaledObjects = new("keda.sh", "v1alpha1", "scaledobjects");

    public static readonly KubeResource ThreadPoolAutoscalers =
        new(ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ThreadPoolAutoscaler.Plural);

    /// <summary>"v1" for the core group, "group/version" otherwise.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>
    /// The collection path, e.g. /apis/apps/v1/namespaces/{ns}/deployments; every namespace's collection when
    /// <paramref name="ns"/> is null or empty.
    /// </summary>
    public string CollectionPath(string? ns)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        if (string.IsNullOrEmpty(ns))
        {
            return $"{root}/{Plural}";
        }

        if (!Namespaced)
        {
            throw new ArgumentException($"{Plural} are cluster-scoped: pass no namespace.", nameof(ns));
        }

        return $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}";
    }

    /// <summary>The path of one object, or of its subresource ("status", "scale").</summary>
    public string ObjectPath(string? ns, string name, string? subresource = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Namespaced && string.IsNullOrEmpty(ns))
        {
            throw new ArgumentException($"{Plural} are namespaced: a namespace is required.", nameof(ns));
        }

        var path = $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
        return subresource is null ? path : $"{path}/{subresource}";
    }
}
