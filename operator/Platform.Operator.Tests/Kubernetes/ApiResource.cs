using Platform.Operator.Api;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>A resource the fake API server stores (group, version, plural, scope), to seed and inspect it by.</summary>
internal sealed record ApiResource(string Group, string Version, string Plural, bool Namespaced = true)
{
    public static readonly ApiResource Pods = new("", "v1", "pods");
    public static readonly ApiResource Secrets = new("", "v1", "secrets");
    public static readonly ApiResource Events = new("", "v1", "events");
    public static readonly ApiResource Deployments = new("apps", "v1", "deployments");
    public static readonly ApiResource HorizontalPodAutoscalers = new("autoscaling", "v2", "horizontalpodautoscalers");
    public static readonly ApiResource Leases = new("coordination.k8s.io", "v1", "leases");
    public static readonly ApiResource ScaledObjects = new(ScaledObject.Group, ScaledObject.Version, ScaledObject.Plural);

    public static readonly ApiResource ThreadPoolAutoscalers =
        new(ThreadPoolAutoscaler.Group, ThreadPoolAutoscaler.Version, ThreadPoolAutoscaler.Plural);
}
