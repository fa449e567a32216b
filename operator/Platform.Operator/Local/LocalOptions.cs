using Platform.Operator.Api;

namespace Platform.Operator.Local;

/// <summary>Local mode: no cluster; targets are API base URLs.</summary>
/// <param name="Targets">Base URLs of the API processes' control listeners (each plays one "pod"): /metrics and /admin there.</param>
/// <param name="Prometheus">Where to read signals; null: scrape the targets' /metrics directly.</param>
/// <param name="AdminToken">Bearer token for the targets' /admin/threadpool.</param>
/// <param name="MetricsUrls">
/// Each target's metrics endpoint, in the order of <paramref name="Targets"/>, when it is not the target's
/// own /metrics. Prometheus series are matched by its host:port as the instance label.
/// </param>
public sealed record LocalOptions(
    IReadOnlyList<Uri> Targets,
    Uri? Prometheus,
    ThreadPoolAutoscalerSpec Spec,
    string AdminToken,
    IReadOnlyList<Uri>? MetricsUrls = null);
