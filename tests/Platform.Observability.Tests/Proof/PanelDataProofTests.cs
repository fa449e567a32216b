using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Observability.Tests.Dashboards;
using Platform.Observability.Tests.Rules;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Hosting;
using Platform.Operator.Local;
using Platform.Testing;

namespace Platform.Observability.Tests.Proof;

/// <summary>
/// The proof that every panel has data: the real API on loopback, the operator in local mode in this process,
/// a real Prometheus loading prometheus/rules/platform.rules.yaml and receiving k6-shaped series by remote
/// write, a short mixed load, then every panel, annotation and variable query of every dashboard run against
/// Prometheus's HTTP API with the variables resolved as Grafana would.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed partial class PanelDataProofTests
{
    private const string Namespace = "platform";
    private const string TestId = "observability-proof";
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(22);
    private static readonly TimeSpan RateInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(2);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Every_panel_annotation_and_variable_query_has_data_after_a_mixed_load()
    {
        if (ToolLocator.Find("prometheus") is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "prometheus is not installed (Debian package 'prometheus').");
            Assert.Fail("prometheus is required in CI (Debian package 'prometheus').");
        }
        var cancel = TestContext.Current.CancellationToken;
        var output = TestContext.Current.TestOutputHelper;
        var clock = Stopwatch.StartNew();
        var dashboards = DashboardFile.Paths.Select(DashboardFile.Load).ToList();

        await using var api = await ApiProcess.StartAsync();
        var prometheusPort = FreeTcpPort.Next();
        var prometheusUri = new Uri($"http://127.0.0.1:{prometheusPort}/");
        var operatorPort = FreeTcpPort.Next();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        // The operator starts before Prometheus listens: its first evaluation fails to read signals, so
        // platform_operator_errors_total{component="prometheus"} exists, as it would after any real failure.
        await using var operatorHost = OperatorHost.Build(
            LocalOperator(api.ControlBaseAddress, new Uri($"http://{api.ControlAddress}/metrics"), prometheusUri, operatorPort), ["--Logging:LogLevel:Default=Warning"]);
        await operatorHost.StartAsync(cancel);
        var operatorMetrics = new Uri($"http://127.0.0.1:{operatorPort}/metrics");
        await WaitUntilAsync(async () => (await http.GetStringAsync(operatorMetrics, cancel)).Contains("platform_operator_errors_total{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "the operator's first (failed) evaluation", cancel);

        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Port = prometheusPort,
            ScrapeInterval = TimeSpan.FromSeconds(1),
            EnableRemoteWriteReceiver = true,
            RuleFiles = [RuleFile.RulesPath],
            Targets =
            [
                new ScrapeTarget("api", api.ControlAddress, Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "api-0" }),
                new ScrapeTarget("operator", $"127.0.0.1:{operatorPort}", Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "operator-0" }),
            ],
        }, cancel);
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), cancel);
        var start = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5);
        output?.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: API, operator and Prometheus up; load for {LoadDuration.TotalSeconds:F0} s");

        var load = new MixedLoad(api.Client, MixedLoad.Everything());
        try
        {
            var loadEnd = DateTime.UtcNow + LoadDuration;
            while (DateTime.UtcNow < loadEnd)
            {
                await Task.Delay(1000, cancel);
                await RemoteWrite.SendAsync(http, prometheus.BaseAddress, load.K6Samples(TestId, "proof", DateTimeOffset.UtcNow), cancel);
            }
        }
        finally
        {
            await load.DisposeAsync();
        }
        await RemoteWrite.SendAsync(http, prometheus.BaseAddress, load.K6Samples(TestId, "proof", DateTimeOffset.UtcNow), cancel);
        output?.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: load done, {load.Completed} requests: {load.Summary()}");

        // Two more scrapes and rule evaluations, so the last requests and decisions are in every series.
        await Task.Delay(2500, cancel);
        var end = DateTimeOffset.UtcNow;
        var variables = await ResolveVariablesAsync(http, prometheus.BaseAddress, dashboards, start, end, cancel);
        var report = new StringBuilder();
        report.AppendLine("Variables (\"All\" selected): " + string.Join(", ", variables.Select(v => $"${v.Key} = {v.Value}")));
        var failures = new List<string>();
        foreach (var dashboard in dashboards)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{dashboard.Title} ({dashboard.Stem}.json)");
            foreach (var (title, expectation, query) in Queries(dashboard))
            {
                var expr = Substitute(query.Expr, variables, out var undefined);
                if (undefined.Count > 0)
                {
                    failures.Add($"{dashboard.Stem} / {title} {query.RefId}: undefined variables {string.Join(", ", undefined)}");
                    continue;
                }
                var result = await prometheus.QueryRangeAsync(expr, start, end, Step, cancel);
                var withData = result.Series.Count(s => s.Points.Any(p => double.IsFinite(p.Value)));
                var marker = expectation switch
                {
                    DataExpectation.ClusterOnly => " [cluster only]",
                    DataExpectation.K6RunOnly => " [k6 run only; here from the proof's remote write]",
                    _ => "",
                };
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"  {(result.IsSuccess ? withData > 0 ? "data " : "EMPTY" : "ERROR")}  {title} {query.RefId}: {withData} series{marker}");
                if (!result.IsSuccess)
                {
                    failures.Add($"{dashboard.Stem} / {title} {query.RefId}: {result.ErrorType}: {result.Error}\n    {expr}");
                }
                else if (withData == 0 && expectation != DataExpectation.ClusterOnly)
                {
                    failures.Add($"{dashboard.Stem} / {title} {query.RefId}: no series with data\n    {expr}");
                }
            }
        }
        var decisions = await prometheus.QueryAsync("platform_operator_decisions_total", cancel);
        report.AppendLine("Operator decisions counted at the end (reason, replica action, min-threads action: count):");
        foreach (var sample in decisions.Samples.OrderBy(s => s.Labels["reason"], StringComparer.Ordinal))
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"  {sample.Labels["reason"]}, replicas {sample.Labels["replica_action"]}, min threads {sample.Labels["min_threads_action"]}: {sample.Value}");
        }
        report.AppendLine(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:F0} s in all");
        output?.WriteLine(report.ToString());

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n\n" + report);
    }

    /// <summary>The operator in local mode against one API process, with <see cref="LocalSpec"/>; also used by the report's test.</summary>
    internal static OperatorSettings LocalOperator(Uri api, Uri metrics, Uri prometheus, int port)
    {
        var spec = LocalSpec();
        var policy = SpecValidator.Validate(spec).Policy ?? throw new InvalidOperationException("the proof's spec is invalid");
        return OperatorSettings.ForLocal((new LocalOptions([api], prometheus, spec, ApiProcess.AdminToken, [metrics]), policy), $"http://127.0.0.1:{port}");
    }

    /// <summary>A spec that reacts within a few seconds: 5 s evaluations, a 10 s window, starvation at 50 ms or 10 queued items.</summary>
    internal static ThreadPoolAutoscalerSpec LocalSpec() =>
        new()
        {
            TargetRef = new TargetReference { Name = "local" },
            Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "local" } },
            EvaluationIntervalSeconds = 5,
            Prometheus = new PrometheusSource { WindowSeconds = 10, MaxStalenessSeconds = 15 },
            MinThreads = new MinThreadsPolicy { Baseline = 2, Max = 100 },
            Starvation = new StarvationPolicy { SchedulingDelayThresholdMilliseconds = 50, QueueLengthThreshold = 10 },
        };

    private static IEnumerable<(string Title, DataExpectation Expectation, PanelQuery Query)> Queries(DashboardFile dashboard) =>
        dashboard.Panels.SelectMany(p => p.Queries.Select(q => (p.Title, p.Expectation, q)))
            .Concat(dashboard.Annotations.Where(a => !a.BuiltIn).Select(a => ($"annotation '{a.Name}'", DataExpectation.Always, new PanelQuery("Anno", a.Expr))));

    /// <summary>
    /// Every query variable of every dashboard, resolved in order as Grafana does with "All" selected: run
    /// label_values through /api/v1/label/.../values, then allValue if the variable has one, else the
    /// regex alternation of the values found. Each must find at least one value. With <paramref name="only"/>: just those variables.
    /// </summary>
    internal static async Task<Dictionary<string, string>> ResolveVariablesAsync(
        HttpClient http, Uri prometheus, IReadOnlyList<DashboardFile> dashboards, DateTimeOffset start, DateTimeOffset end, CancellationToken cancel,
        IReadOnlySet<string>? only = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["__rate_interval"] = $"{RateInterval.TotalSeconds:0}s",
            ["__interval"] = $"{Step.TotalSeconds:0}s",
            ["__range"] = $"{Math.Ceiling((end - start).TotalSeconds):0}s",
        };
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in dashboards.SelectMany(d => d.Variables).Where(v => v.Type == "query" && (only is null || only.Contains(v.Name))))
        {
            var query = variable.Query ?? "";
            if (seen.TryGetValue(variable.Name, out var previous))
            {
                Assert.True(previous == query, $"${variable.Name} must mean the same in every dashboard ('{previous}' vs '{query}')");
                continue;
            }
            seen[variable.Name] = query;
            var label = DashboardFile.LabelValuesLabel(query) ?? throw new InvalidOperationException($"${variable.Name}: not a label_values() query: {query}");
            var selector = DashboardFile.LabelValuesSelector(query) is { } s ? Substitute(s, values, out _) : null;
            var url = $"api/v1/label/{label}/values?start={start.ToUnixTimeSeconds()}&end={end.ToUnixTimeSeconds()}"
                + (selector is null ? "" : $"&match[]={Uri.EscapeDataString(selector)}");
            using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(prometheus, url), cancel));
            var found = document.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToList();
            Assert.True(found.Count > 0, $"variable ${variable.Name} ({query}) found no values");
            values[variable.Name] = variable.AllValue ?? $"({string.Join('|', found.Select(RegexInPromQlString))})";
        }
        return values;
    }

    // A regex-escaped value inside a double-quoted PromQL string: the backslashes themselves need escaping.
    private static string RegexInPromQlString(string value) => Regex.Escape(value).Replace("\\", "\\\\", StringComparison.Ordinal);

    internal static string Substitute(string expr, IReadOnlyDictionary<string, string> values, out List<string> undefined)
    {
        var missing = new List<string>();
        var result = VariableReference().Replace(expr, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["plain"].Value;
            if (values.TryGetValue(name, out var value))
            {
                return value;
            }
            missing.Add(name);
            return m.Value;
        });
        undefined = missing;
        return result;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }
            await Task.Delay(200, cancel);
        }
    }

    [GeneratedRegex(@"\$\{(?<braced>\w+)(?::\w+)?\}|\$(?<plain>\w+)")]
    private static partial Regex VariableReference();
}
