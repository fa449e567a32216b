using k8s.Models;
using Platform.Operator.Api;
using Platform.Operator.Signals;

namespace Platform.Operator.Controller;

/// <summary>What the controllers read off pods and Deployments: CPU requests, readiness, selectors, and the pods' URLs.</summary>
public static class PodShapes
{
    /// <summary>The pod's CPU request in cores ("500m" is 0.5): the sum over containers that declare one; null when none does.</summary>
    public static double? CpuRequest(V1Pod pod)
    {
        var requests = (pod.Spec?.Containers ?? [])
            .Select(c => c.Resources?.Requests is { } r && r.TryGetValue("cpu", out var cpu) ? (double?)cpu.ToDecimal() : null)
            .Where(r => r is >= 0)
            .ToList();
        return requests.Count == 0 ? null : requests.Sum();
    }

    /// <summary>Running, with an IP, not being deleted: a pod whose threads the operator can read and fix, Ready or not.</summary>
    public static bool IsRunning(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is null
        && pod.Status is { Phase: "Running", PodIP: { Length: > 0 } };

    /// <summary>Running and Ready: a pod that takes traffic, so its CPU counts for replicas (as in the HPA).</summary>
    public static bool IsReady(V1Pod pod) =>
        IsRunning(pod) && pod.Status!.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>A label selector in the API's query syntax: "a=b,c in (d,e),!f".</summary>
    public static string Selector(V1LabelSelector selector)
    {
        var parts = (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}").ToList();
        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var values = string.Join(',', expression.Values ?? []);
            parts.Add(expression.OperatorProperty switch
            {
                "In" => $"{expression.Key} in ({values})",
                "NotIn" => $"{expression.Key} notin ({values})",
                "Exists" => expression.Key,
                "DoesNotExist" => "!" + expression.Key,
                _ => throw new ArgumentException($"Unknown selector operator '{expression.OperatorProperty}'."),
            });
        }
        return string.Join(',', parts);
    }

    /// <summary>http://podIP:port/ (IPv6 bracketed).</summary>
    public static Uri BaseUri(string podIp, int port) =>
        new(podIp.Contains(':', StringComparison.Ordinal) ? $"http://[{podIp}]:{port}/" : $"http://{podIp}:{port}/");

    /// <summary>A running pod as a target of both loops: admin on spec.admin.port, signals on spec.podSignals.port.</summary>
    public static PodTarget Target(V1Pod pod, ThreadPoolAutoscalerSpec spec) => new(
        pod.Metadata.Name!,
        BaseUri(pod.Status!.PodIP!, spec.Admin.Port),
        "pod",
        pod.Metadata.Name!,
        CpuRequest(pod),
        new Uri(BaseUri(pod.Status.PodIP!, spec.PodSignals.Port), "metrics"));
}
