using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// operator.logLevel: empty by default (the operator's own defaults apply: decisions, warnings, errors), and
/// each category set there becomes the Logging__LogLevel__CATEGORY variable the operator reads over them.
/// </summary>
public sealed class OperatorLogLevelTests
{
    private static async Task<IReadOnlyDictionary<string, string>> LoggingEnvAsync(string helm, params string[] values)
    {
        var rendering = await PlatformChart.RenderWithAsync(helm, ["--values", PlatformChart.ValuesFile("default"), .. values]);
        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        var container = rendering.Single("Deployment", "platform-operator").Container("operator");
        return KubeObject.Env(container)
            .Where(e => e.Key.StartsWith("Logging__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value["value"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task By_default_the_chart_sets_no_level_and_each_category_set_becomes_its_variable(string helm)
    {
        var byDefault = await LoggingEnvAsync(helm);
        var chatty = await LoggingEnvAsync(helm,
            "--set-string", @"operator.logLevel.Microsoft\.AspNetCore=Information",
            "--set-string", @"operator.logLevel.System\.Net\.Http\.HttpClient=Information");

        Assert.Empty(byDefault);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Information",
        }, chatty);
    }

    [Fact]
    public async Task The_schema_refuses_a_level_the_logger_does_not_know()
    {
        var rendering = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, "--values", PlatformChart.ValuesFile("default"),
            "--set-string", @"operator.logLevel.Microsoft\.AspNetCore=Loud");

        Assert.NotEqual(0, rendering.Result.ExitCode);
        Assert.Contains("logLevel", rendering.Result.StandardError);
    }
}
