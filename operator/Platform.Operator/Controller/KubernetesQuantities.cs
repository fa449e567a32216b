using System.Globalization;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Controller;

/// <summary>Small readers for the Kubernetes shapes the reconciler needs.</summary>
public static class KubernetesQuantities
{
    /// <summary>A CPU quantity in cores: "500m" → 0.5, "2" → 2. Null for anything else.</summary>
    public static double? CpuCores(string? quantity)
    {
        if (string.IsNullOrWhiteSpace(quantity))
        {
            return null;
        }
        var text = quantity.Trim();
        var millis = text.EndsWith('m');
        return double.TryParse(millis ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? millis ? value / 1000 : value
            : null;
    }

    /// <summary>The pod's CPU request: the sum over containers that declare one; null when none does.</summary>
    public static double? CpuRequest(Pod pod)
    {
        var requests = pod.Spec.Containers.Select(c => CpuCores(c.Resources?.Requests?.GetValueOrDefault("cpu"))).Where(r => r is not null).ToList();
        return requests.Count == 0 ? null : requests.Sum();
    }

    public static bool IsReady(Pod pod) =>
        pod.Metadata.DeletionTimestamp is null
        && pod.Status is { Phase: "Running", PodIP: { Length: > 0 } }
        && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>A label selector in the API's query syntax: "a=b,c in (d,e),!f".</summary>
    public static string Selector(LabelSelector selector)
    {
        var parts = (selector.MatchLabels ?? []).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}").ToList();
        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var values = string.Join(',', expression.Values ?? []);
            parts.Add(expression.Operator switch
            {
                "In" => $"{expression.Key} in ({values})",
                "NotIn" => $"{expression.Key} notin ({values})",
                "Exists" => expression.Key,
                "DoesNotExist" => "!" + expression.Key,
                _ => throw new ArgumentException($"Unknown selector operator '{expression.Operator}'."),
            });
        }
        return string.Join(',', parts);
    }

    public static Uri AdminUri(string podIp, int port) =>
        new(podIp.Contains(':', StringComparison.Ordinal) ? $"http://[{podIp}]:{port}/" : $"http://{podIp}:{port}/");
}
