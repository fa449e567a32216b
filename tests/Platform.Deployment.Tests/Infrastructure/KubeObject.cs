using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests.Infrastructure;

/// <summary>One rendered Kubernetes object, with the accessors the assertions need.</summary>
public sealed class KubeObject(JsonObject node)
{
    public JsonObject Node { get; } = node;

    public string ApiVersion => Node["apiVersion"]?.GetValue<string>() ?? "";

    public string Kind => Node["kind"]?.GetValue<string>() ?? "";

    public string Name => Node["metadata"]?["name"]?.GetValue<string>() ?? "";

    public string Id => $"{Kind}/{Name}";

    public JsonObject? Spec => Node["spec"] as JsonObject;

    public IReadOnlyDictionary<string, string> Labels => StringMap(Node["metadata"]?["labels"]);

    public IReadOnlyDictionary<string, string> Annotations => StringMap(Node["metadata"]?["annotations"]);

    public bool IsHook => Annotations.ContainsKey("helm.sh/hook");

    /// <summary>The pod template of a workload ({metadata, spec}); a Pod is its own template. Null for other kinds.</summary>
    public JsonObject? PodTemplate => Kind switch
    {
        "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" => Spec?["template"] as JsonObject,
        "CronJob" => Spec?["jobTemplate"]?["spec"]?["template"] as JsonObject,
        "Pod" => Node,
        _ => null,
    };

    public JsonObject? PodSpec => PodTemplate?["spec"] as JsonObject;

    public IReadOnlyDictionary<string, string> PodLabels => StringMap(PodTemplate?["metadata"]?["labels"]);

    public IReadOnlyDictionary<string, string> PodAnnotations => StringMap(PodTemplate?["metadata"]?["annotations"]);

    /// <summary>Containers and init containers of the pod template.</summary>
    public IEnumerable<JsonObject> Containers =>
        (PodSpec?["containers"]?.AsArray() ?? []).Concat(PodSpec?["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();

    public JsonObject Container(string name) =>
        Containers.SingleOrDefault(c => c["name"]?.GetValue<string>() == name)
        ?? throw new InvalidOperationException($"{Id} has no container {name}");

    /// <summary>A container's environment as name -> literal value (null for valueFrom).</summary>
    public static IReadOnlyDictionary<string, JsonObject> Env(JsonObject container) =>
        (container["env"]?.AsArray() ?? []).OfType<JsonObject>().ToDictionary(e => e["name"]!.GetValue<string>(), e => e);

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node) =>
        node is JsonObject map
            ? map.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "")
            : new Dictionary<string, string>();

    public override string ToString() => Id;
}
