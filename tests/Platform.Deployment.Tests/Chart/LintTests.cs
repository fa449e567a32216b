using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>`helm lint --strict` (warnings are errors) with helm 3 and helm 4, on every install scenario.</summary>
public sealed class LintTests
{
    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Helm_lint_strict_passes(string helm, string scenario)
    {
        var result = await ToolRun.RunAsync(RequiredTool.Find(helm),
            ["lint", "--strict", PlatformChart.Directory, "--namespace", PlatformChart.Namespace, "--values", PlatformChart.ValuesFile(scenario)]);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", result.StandardOutput);
        // The only finding allowed is the INFO that an icon is recommended (a local testbed has none to point at).
        var findings = result.StandardOutput.Split('\n').Where(l => l.StartsWith('[')).ToList();
        Assert.All(findings, f => Assert.StartsWith("[INFO] Chart.yaml: icon is recommended", f));
    }

    [Fact]
    public async Task Yamllint_passes_on_values_yaml_Chart_yaml_and_the_ci_scenarios()
    {
        var yamllint = RequiredTool.Find("yamllint");
        string[] files =
        [
            Path.Combine(PlatformChart.Directory, "values.yaml"),
            Path.Combine(PlatformChart.Directory, "Chart.yaml"),
            .. Directory.GetFiles(Path.Combine(PlatformChart.Directory, "ci"), "*.yaml"),
        ];

        var result = await ToolRun.RunAsync(yamllint, ["--strict", "--config-data", "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}", .. files]);

        Assert.True(result.ExitCode == 0, result.Describe());
    }
}
