using System.Text.Json.Nodes;
using Platform.Observability.Tests.LoadTests;

namespace Platform.Observability.Tests.Report;

/// <summary>loadtests/report/series.mjs, the one place the report names metrics, against docs/metrics-contract.md.</summary>
public sealed class ReportSeriesTests
{
    [Fact]
    public async Task Every_metric_the_report_queries_is_in_the_contract()
    {
        var queries = await QueriesAsync();
        var names = queries.SelectMany(PromQlMetricNames.Extract).Distinct(StringComparer.Ordinal).ToList();

        Assert.True(names.Count >= 15, $"only {names.Count} metric names in {queries.Count} queries");
        var unknown = names.Where(n => PromQlMetricNames.Problem(n) is not null).ToList();
        Assert.True(unknown.Count == 0, "not in docs/metrics-contract.md: " + string.Join(", ", unknown));
    }

    [Fact]
    public async Task The_selectors_reach_every_query_and_are_escaped_as_promql_strings()
    {
        var queries = await QueriesAsync("--testid", "run-1", "--namespace", "plat\\w+", "--autoscaler", "a\"b");

        Assert.All(queries.Where(q => q.Contains("k6_", StringComparison.Ordinal)), q => Assert.Contains("testid=\"run-1\"", q, StringComparison.Ordinal));
        Assert.All(queries.Where(q => !q.Contains("k6_", StringComparison.Ordinal)), q => Assert.Contains("namespace=~\"plat\\\\w+\"", q, StringComparison.Ordinal));
        Assert.All(queries.Where(q => q.Contains("platform_operator_", StringComparison.Ordinal)), q => Assert.Contains("autoscaler=~\"a\\\"b\"", q, StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<string>> QueriesAsync(params string[] selectors)
    {
        var (exitCode, output) = await ReportTools.GenerateAsync(["--print-queries", .. selectors]);
        Assert.True(exitCode == 0, output);
        var printed = JsonNode.Parse(output)!;
        return [.. printed["plots"]!.AsArray().SelectMany(p => p!["queries"]!.AsArray().Select(q => q!.GetValue<string>())), printed["decisions"]!.GetValue<string>()];
    }
}
