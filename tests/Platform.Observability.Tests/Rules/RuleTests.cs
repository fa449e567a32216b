using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.Rules;

/// <summary>
/// prometheus/rules/platform.rules.yaml: valid for promtool, unit-tested by prometheus/tests/*.test.yaml,
/// every rule covered by a unit test, and only contract metric names in its expressions.
/// </summary>
public sealed partial class RuleTests
{
    private static readonly HashSet<string> Severities = new(StringComparer.Ordinal) { "info", "warning", "critical" };

    [Fact]
    public async Task Promtool_check_rules_accepts_the_rule_file()
    {
        var promtool = RequirePromtool();

        var (exitCode, output) = await ChildProcess.RunAsync(promtool, ["check", "rules", RuleFile.RulesPath],
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(exitCode == 0, $"promtool check rules exited with {exitCode}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_test_rules_passes_every_unit_test_file()
    {
        var promtool = RequirePromtool();
        Assert.NotEmpty(RuleFile.TestFiles);

        // rule_files in a test file are relative to that file, so the working directory does not matter.
        var (exitCode, output) = await ChildProcess.RunAsync(promtool, ["test", "rules", .. RuleFile.TestFiles],
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(exitCode == 0, $"promtool test rules exited with {exitCode}:\n{output}");
        Assert.Equal(RuleFile.TestFiles.Count, SuccessLine().Matches(output).Count);
    }

    [Fact]
    public void Every_recording_rule_has_a_value_test_and_every_alert_a_firing_and_a_quiet_test()
    {
        var rules = RuleFile.Load();
        var groups = RuleFile.TestFiles.SelectMany(f => RuleTestFile.Load(f).Tests).ToList();
        var exprTests = groups.SelectMany(g => g.PromqlExprTest).Where(t => t.ExpSamples.Count > 0).ToList();
        var alertTests = groups.SelectMany(g => g.AlertRuleTest).ToList();

        var missing = new List<string>();
        foreach (var record in rules.RecordingRules.Select(r => r.Record!))
        {
            if (!exprTests.Any(t => PromQl.MetricNames(t.Expr).Contains(record)))
            {
                missing.Add($"recording rule {record}: no promql_expr_test with expected samples");
            }
        }
        foreach (var alert in rules.AlertingRules.Select(r => r.Alert!))
        {
            if (!alertTests.Any(t => t.Alertname == alert && t.ExpAlerts.Count > 0))
            {
                missing.Add($"alert {alert}: no alert_rule_test where it fires");
            }
            if (!alertTests.Any(t => t.Alertname == alert && t.ExpAlerts.Count == 0))
            {
                missing.Add($"alert {alert}: no alert_rule_test where it stays quiet");
            }
        }

        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Every_metric_name_in_the_rules_is_in_the_metrics_contract()
    {
        var rules = RuleFile.Load();

        var unknown = rules.Rules
            .SelectMany(r => PromQl.MetricNames(r.Expr).Select(name => (Rule: r.Name, Name: name)))
            .Where(x => KnownMetrics.Source(x.Name, rules.RecordedNames) is null)
            .Select(x => $"{x.Rule}: {x.Name}")
            .ToList();

        Assert.True(unknown.Count == 0, "Not in docs/metrics-contract.md (nor a recorded name, k6_* or up):\n" + string.Join('\n', unknown));
        Assert.Contains("platform_thread_pool_scheduling_delay_seconds_bucket", rules.Rules.SelectMany(r => PromQl.MetricNames(r.Expr)));
    }

    [Fact]
    public void Recorded_names_follow_level_metric_operation_and_keep_the_pod_labels()
    {
        var rules = RuleFile.Load();

        Assert.NotEmpty(rules.RecordingRules);
        foreach (var rule in rules.RecordingRules)
        {
            Assert.Matches(RecordName(), rule.Record!);
            if (rule.Record!.StartsWith("pod:", StringComparison.Ordinal))
            {
                // Dashboards filter these by $namespace, $job and $pod: the aggregation must keep exactly those.
                Assert.Contains("by (namespace, job, pod", rule.Expr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Alerts_have_a_duration_a_severity_and_a_summary_and_description_that_say_what_to_do()
    {
        var rules = RuleFile.Load();
        string[] expected = ["ThreadPoolStarvation", "CpuSaturation", "PlatformOperatorErrors", "PlatformOperatorDown"];

        Assert.Subset(rules.AlertingRules.Select(r => r.Alert!).ToHashSet(), expected.ToHashSet());
        foreach (var alert in rules.AlertingRules)
        {
            Assert.False(alert.For is null, $"{alert.Alert} has no 'for'");
            Assert.True(alert.Labels.TryGetValue("severity", out var severity) && Severities.Contains(severity),
                $"{alert.Alert}: severity must be one of {string.Join(", ", Severities)}");
            Assert.True(alert.Annotations.TryGetValue("summary", out var summary) && summary.Length > 20, $"{alert.Alert}: summary");
            Assert.True(alert.Annotations.TryGetValue("description", out var description) && description.Length > 150,
                $"{alert.Alert}: the description should say what to check and do");
        }
    }

    [Fact]
    public void PromQl_reader_finds_series_names_and_skips_functions_labels_and_variables()
    {
        var names = PromQl.MetricNames(
            "sum by (pod, le) (rate(a_bucket{job=~\"$job\", le!=\"x y\"}[$__rate_interval])) / on (pod) group_left max(b) " +
            "or 0 * vector(1) and histogram_quantile(0.9, c:d:e) > bool 1e3 unless absent(up{job=\"operator\"} == 1) offset 5m");

        Assert.Equal(["a_bucket", "b", "c:d:e", "up"], names.Order(StringComparer.Ordinal));
        Assert.Equal(["$__rate_interval", "1m:10s"], PromQl.Ranges("rate(x[$__rate_interval]) + max_over_time(y[1m:10s])"));
    }

    internal static string RequirePromtool()
    {
        var promtool = ToolLocator.Find("promtool");
        if (promtool is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "promtool is not installed (Debian package 'prometheus').");
            Assert.Fail("promtool is required in CI (Debian package 'prometheus').");
        }
        return promtool!;
    }

    [GeneratedRegex("^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")]
    private static partial Regex RecordName();

    [GeneratedRegex(@"^\s*SUCCESS\s*$", RegexOptions.Multiline)]
    private static partial Regex SuccessLine();
}
