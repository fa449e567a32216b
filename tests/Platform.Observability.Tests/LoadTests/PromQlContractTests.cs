using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// The verdict's PromQL names only metrics of docs/metrics-contract.md (or k6's remote-written k6_*, or up),
/// and every expression parses in a real Prometheus. PromQL lives in templates tagged <c>promql</c>.
/// </summary>
public sealed partial class PromQlContractTests
{
    public static IEnumerable<object[]> AllFiles() => K6Scripts.AllFileNames();

    private static IEnumerable<(string File, JsLiteral Literal)> PromQlLiterals() =>
        K6Scripts.AllFiles.SelectMany(path => JsSource.Load(path).Literals.Where(l => l.Tag == "promql").Select(l => (K6Scripts.Relative(path), l)));

    [Fact]
    public void The_verdict_has_its_promql_where_the_checks_can_find_it()
    {
        var literals = PromQlLiterals().ToList();
        Assert.True(literals.Count >= 20, $"only {literals.Count} promql`...` templates found");
        Assert.All(literals, l => Assert.Equal("loadtests/lib/verdict.js", l.File.Replace('\\', '/')));
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_metric_in_the_promql_is_in_the_contract(string file)
    {
        var source = K6Scripts.Load(file);
        var problems = source.Literals.Where(l => l.Tag == "promql")
            .SelectMany(l => PromQlMetricNames.Extract(l.Value).Select(name => (l.Line, Problem: PromQlMetricNames.Problem(name))))
            .Where(p => p.Problem is not null)
            .Select(p => $"{file}:{p.Line}: {p.Problem}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Platform_metric_names_in_strings_and_comments_are_in_the_contract(string file)
    {
        var source = K6Scripts.Load(file);
        var texts = source.Literals.Select(l => l.Value).Concat(source.Comments);
        var unknown = texts.SelectMany(PromQlMetricNames.PrefixedNames).Distinct()
            .Where(name => PromQlMetricNames.Problem(name) is not null).ToList();
        Assert.True(unknown.Count == 0, $"{file} names metrics that are not in the contract: {string.Join(", ", unknown)}");
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void There_is_no_promql_outside_promql_templates(string file)
    {
        var source = K6Scripts.Load(file);
        var untagged = source.Literals.Where(l => l.Tag != "promql" && LooksLikePromQl().IsMatch(l.Value)).ToList();
        Assert.True(untagged.Count == 0, $"{file}: PromQL-like strings not tagged promql (so not checked): " +
            string.Join(" | ", untagged.Select(l => $"line {l.Line}: {l.Value}")));
    }

    [Theory]
    [InlineData("sum(rate(platform_made_up_total{job=\"api\"}[1m]))", "platform_made_up_total")]
    [InlineData("histogram_quantile(0.9, sum by (le) (rate(http_server_request_duration_seconds[5m])))", "http_server_request_duration_seconds")]
    [InlineData("count(up{job=\"api\"} == 1) / on (namespace) group_left (pod) dotnet_thread_pool_queue_lenght", "dotnet_thread_pool_queue_lenght")]
    public void The_name_check_catches_a_wrong_name(string promql, string wrong)
    {
        var names = PromQlMetricNames.Extract(promql);
        Assert.Contains(wrong, names);
        Assert.All(names.Where(n => n != wrong), n => Assert.Null(PromQlMetricNames.Problem(n)));
        Assert.NotNull(PromQlMetricNames.Problem(wrong));
    }

    [Fact]
    public void The_name_check_skips_functions_labels_and_keywords()
    {
        const string promql = """
            max_over_time((sum by (le, pod) (rate(platform_thread_pool_scheduling_delay_seconds_bucket{job="api",kind=~"w.*"}[1s]))
              / ignoring (kind) sum without (cpu_mode) (platform_process_cpu_limit offset 5m) > bool 0.5)[1s:15s])
            and on (pod) k6_http_req_duration_p95{testid="x"} or vector(0)
            """;
        Assert.Equal(
            ["platform_thread_pool_scheduling_delay_seconds_bucket", "platform_process_cpu_limit", "k6_http_req_duration_p95"],
            PromQlMetricNames.Extract(promql));
    }

    [Fact]
    public async Task Every_promql_expression_parses_in_prometheus()
    {
        if (ToolLocator.Find("prometheus") is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "prometheus is not installed (Debian package 'prometheus').");
        }
        var cancel = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions(), cancel);
        var failures = new List<string>();
        foreach (var (file, literal) in PromQlLiterals())
        {
            // Interpolations read as "1": a number, a range of 1s, or a label value "1"; all valid.
            var result = await prometheus.QueryAsync(literal.Value, cancel);
            if (!result.IsSuccess) failures.Add($"{file}:{literal.Line}: {result.ErrorType}: {result.Error}\n  {literal.Value}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [GeneratedRegex(@"\b(?:platform|dotnet|http_server|http_client|kestrel|k6)_\w+\s*[\{\[]|\b(?:rate|increase|histogram_quantile|max_over_time|min_over_time|avg_over_time)\s*\(|\b(?:sum|max|min|avg|count)\s*(?:by|without)?\s*\(\s*[a-z_]+[\{\[(]")]
    private static partial Regex LooksLikePromQl();
}
