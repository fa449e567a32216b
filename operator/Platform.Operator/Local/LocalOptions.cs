using Platform.Operator.Api;

namespace Platform.Operator.Local;

/// <summary>Local mode: no cluster; targets are API base URLs.</summary>
/// <param name="Targets">Base URLs of the API processes (each plays one "pod").</param>
/// <param name="Prometheus">Where to read signals; null: scrape the targets' /metrics directly.</param>
/// <param name="AdminToken">Bearer token for the targets' /admin/threadpool.</param>
public sealed record LocalOptions(
    IReadOnlyList<Uri> Targets,
    Uri? Prometheus,
    ThreadPoolAutoscalerSpec Spec,
    string AdminToken);
