using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// NOTES.txt names the next steps. `helm template` does not render it; `helm install --dry-run=client` does, and
/// helm 4 needs no cluster for that (helm 3.17 still contacts the API server, so only helm 4 runs this).
/// </summary>
public sealed class NotesTests
{
    [Theory]
    [InlineData("default", new[] { "port-forward svc/platform-grafana 3000:3000", "port-forward svc/platform-prometheus 9090:9090", "infra/loadtest.sh smoke", "helm test platform -n platform --logs", "get threadpoolautoscalers -w", "get secret platform-grafana" })]
    [InlineData("external-observability", new[] { "Grafana is not deployed: the dashboards are ConfigMaps labelled grafana_dashboard=1", "Prometheus is not deployed", "infra/loadtest.sh smoke" })]
    [InlineData("operator-off", new[] { "port-forward svc/platform-grafana", "infra/loadtest.sh smoke" })]
    public async Task The_notes_say_how_to_open_Grafana_and_Prometheus_and_run_a_load_test(string scenario, string[] expected)
    {
        var result = await ToolRun.RunAsync(RequiredTool.Find(RequiredTool.Helm4),
            ["install", PlatformChart.Release, PlatformChart.Directory, "--namespace", PlatformChart.Namespace, "--dry-run=client", "--values", PlatformChart.ValuesFile(scenario)],
            new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });

        Assert.True(result.ExitCode == 0, result.Describe());
        var notes = result.StandardOutput[result.StandardOutput.IndexOf("NOTES:", StringComparison.Ordinal)..];
        foreach (var fragment in expected)
        {
            Assert.Contains(fragment, notes);
        }
        if (scenario == "operator-off")
        {
            Assert.DoesNotContain("threadpoolautoscalers", notes);
        }
    }
}
