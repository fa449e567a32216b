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
/// <param name="CpuRequestCores">
/// The CPU request each target plays, in cores, as a pod's spec would declare it: CPU utilisation is then
/// measured against it, as in a cluster. Null: against the CPU limit each target reports.
/// </param>
public sealed record LocalOptions(
    IReadOnlyList<Uri> Targets,
    Uri? Prometheus,
    ThreadPoolAutoscalerSpec Spec,
    string AdminToken,
    IReadOnlyList<Uri>? MetricsUrls = null,
    double? CpuRequestCores = null);
