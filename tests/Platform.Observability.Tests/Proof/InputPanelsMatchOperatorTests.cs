using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Observability.Tests.Dashboards;
using Platform.Observability.Tests.Rules;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Hosting;
using Platform.Operator.Local;
using Platform.Testing;

namespace Platform.Observability.Tests.Proof;

/// <summary>
/// The dashboards and the operator on one Prometheus: the operator in local mode against two real API
/// processes (each plays a pod whose CPU request is well below its CPU limit, as the chart's request sits
/// below its limit), one Prometheus scraping all three. Under load the operator decides; once Prometheus has
/// scraped the operator after that decision, every "Input: …" panel's queries, read from the dashboard JSON,
/// must give exactly what the decision was made on (refId A) and the spec's threshold it was compared with
/// (refId B). The test calls both loops itself and evaluates every query at the instant of the first operator
/// scrape after them; a round in which the operator's decision counters show another decision of its own
/// before that scrape is repeated, so the numbers compared always belong to the decision at hand.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class InputPanelsMatchOperatorTests
{
    private const string Namespace = "platform";

    // The exporter writes doubles in round-trip form and Prometheus returns them the same way: the numbers
    // are equal, bar a last-digit difference allowed here.
    private const double RelativeTolerance = 1e-9;

    // Each API process plays a pod with this CPU request; its limit is the cgroup quota or the processor count.
    private const double CpuRequestCores = 0.25;

    private const int Rounds = 3;
    private const int MaxAttempts = 12;

    // What the Input panels and the control query filter by; the overview's k6 testid has no values here.
    private static readonly HashSet<string> PanelVariables = new(StringComparer.Ordinal) { "namespace", "job", "pod", "autoscaler" };

    // The panel query the dashboards drew before the Input panels were the operator's own series: CPU per pod
    // over its limit. It must fail the same comparison, or the comparison could not tell the two apart.
    private const string FormerCpuPanelQuery = "max by (pod) (pod:platform_cpu_utilization_of_limit:ratio_rate1m{namespace=~\"$namespace\", job=~\"$job\", pod=~\"$pod\"})";
    private const string FormerCpuPanelQueryAveraged = "avg(pod:platform_cpu_utilization_of_limit:ratio_rate1m{namespace=~\"$namespace\", job=~\"$job\", pod=~\"$pod\"})";

    /// <summary>What each Input panel must show, by title: the decision's input and the policy's threshold.</summary>
    private static readonly Dictionary<string, (string Loop, Func<Decision, double?> Input, Func<AutoscalerPolicy, double> Threshold)> Expected = new(StringComparer.Ordinal)
    {
        ["Input: CPU utilisation, fraction of the CPU request"] = ("replicas", d => d.Signals.CpuUtilization, p => p.TargetCpuUtilization),
        ["Input: scheduling delay p90, worst pod"] = ("min_threads", d => d.Signals.SchedulingDelaySeconds, p => p.StarvationSchedulingDelay.TotalSeconds),
        ["Input: queue length, worst pod"] = ("min_threads", d => d.Signals.QueueLength, p => p.StarvationQueueLength),
    };

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Every_input_panel_shows_what_the_operator_decided_on_and_the_threshold_it_compared_with()
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
        var inputPanels = dashboards.SelectMany(d => d.Panels.Where(p => p.Title.StartsWith("Input: ", StringComparison.Ordinal)).Select(p => (Dashboard: d, Panel: p))).ToList();
        Assert.NotEmpty(inputPanels);
        Assert.All(inputPanels, ip => Assert.True(Expected.ContainsKey(ip.Panel.Title),
            $"{ip.Dashboard.Stem} / '{ip.Panel.Title}': this test does not know which decision input the panel shows; add it to {nameof(Expected)}"));

        await using var api0 = await ApiProcess.StartAsync();
        await using var api1 = await ApiProcess.StartAsync();
        var prometheusPort = FreeTcpPort.Next();
        var operatorPort = FreeTcpPort.Next();
        var spec = Spec();
        var policy = SpecValidator.Validate(spec).Policy ?? throw new InvalidOperationException("the test's spec is invalid");
        var options = new LocalOptions(
            [api0.ControlBaseAddress, api1.ControlBaseAddress],
            new Uri($"http://127.0.0.1:{prometheusPort}/"),
            spec,
            ApiProcess.AdminToken,
            [new Uri($"http://{api0.ControlAddress}/metrics"), new Uri($"http://{api1.ControlAddress}/metrics")],
            CpuRequestCores);
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Port = prometheusPort,
            ScrapeInterval = TimeSpan.FromSeconds(1),
            RuleFiles = [RuleFile.RulesPath],
            Targets =
            [
                new ScrapeTarget("api", api0.ControlAddress, Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "api-0" }),
                new ScrapeTarget("api", api1.ControlAddress, Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "api-1" }),
                new ScrapeTarget("operator", $"127.0.0.1:{operatorPort}", Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "operator-0" }),
            ],
        }, cancel);
        await WaitForTargetsAsync(prometheus, "api", 2, cancel);
        var limit = (await prometheus.WaitForResultAsync("min(platform_process_cpu_limit)", r => r.Samples.Count == 1, TimeSpan.FromSeconds(15), cancel)).Samples[0].Value;
        Assert.True(limit >= 2 * CpuRequestCores,
            $"the CPU limit here is {limit} cores: with a request of {CpuRequestCores} the request and the limit would not tell apart");
        var start = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5);

        // CPU on both pods, and blocking calls on api-0 that keep its small pool's queue and delay up.
        var load0 = new MixedLoad(api0.Client,
        [
            new LoadKind("cpu", "sync", 1, (c, t) => c.GetAsync("/cpu/sync?iterations=200000", t)),
            new LoadKind("io-delay", "sync", 12, (c, t) => c.GetAsync("/io/delay/sync?ms=300", t)),
        ]);
        var load1 = new MixedLoad(api1.Client, [new LoadKind("cpu", "sync", 1, (c, t) => c.GetAsync("/cpu/sync?iterations=200000", t))]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var report = new StringBuilder();
        var failures = new List<string>();
        var compared = Expected.Keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        try
        {
            // A full window of samples behind the first decision's rates.
            await Task.Delay(TimeSpan.FromSeconds(spec.Prometheus.WindowSeconds + 2), cancel);
            await using var operatorHost = OperatorHost.Build(OperatorSettings.ForLocal((options, policy), $"http://127.0.0.1:{operatorPort}"), ["--Logging:LogLevel:Default=Warning"]);
            await operatorHost.StartAsync(cancel);
            var autoscaler = operatorHost.Services.GetRequiredService<LocalAutoscaler>();
            await WaitForTargetsAsync(prometheus, "operator", 1, cancel);

            // The min-threads loop rates over its own interval: after one interval of its readings it has all its inputs.
            await Task.Delay(policy.PodSignalInterval, cancel);
            var operatorMetrics = new Uri($"http://127.0.0.1:{operatorPort}/metrics");
            var round = 0;
            for (var attempt = 1; round < Rounds; attempt++)
            {
                Assert.True(attempt <= MaxAttempts, $"only {round} of {Rounds} rounds in {MaxAttempts} attempts were free of the operator's own decisions\n\n{report}");
                var before = await DecisionCountsAsync(http, operatorMetrics, cancel);
                var replicas = await autoscaler.EvaluateReplicasAsync(cancel);
                var minThreads = await autoscaler.TickMinThreadsAsync(cancel);
                var at = await ScrapeAfterAsync(prometheus, DateTimeOffset.UtcNow, cancel);

                // The operator's own min-threads timer keeps running (its window is its interval): a round in which
                // it decided too, before that scrape, compares nothing and is repeated.
                var after = await DecisionCountsAsync(http, prometheus, at, cancel);
                if (after != (before.Replicas + 1, before.MinThreads + 1))
                {
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"attempt {attempt}: decisions (replicas, min threads) went from {before} to {after}, not one each: the operator decided on its own in between; repeated");
                    continue;
                }
                round++;
                var decisions = new Dictionary<string, Decision>(StringComparer.Ordinal) { ["replicas"] = replicas, ["min_threads"] = minThreads };
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"round {round}: replicas {replicas.Reason} (CPU {Show(replicas.Signals.CpuUtilization)} of request), min threads {minThreads.Reason} (delay {Show(minThreads.Signals.SchedulingDelaySeconds)} s, queue {Show(minThreads.Signals.QueueLength)})");

                var variables = await PanelDataProofTests.ResolveVariablesAsync(http, prometheus.BaseAddress, dashboards, start, DateTimeOffset.UtcNow, cancel, PanelVariables);
                foreach (var (dashboard, panel) in inputPanels)
                {
                    var (loop, input, threshold) = Expected[panel.Title];
                    var decision = decisions[loop];
                    foreach (var (refId, value) in new[] { ("A", input(decision)), ("B", (double?)threshold(policy)) })
                    {
                        var query = panel.Queries.Single(q => q.RefId == refId);
                        var problem = await CompareAsync(http, prometheus, PanelDataProofTests.Substitute(query.Expr, variables, out _), at, value, cancel);
                        var where = $"round {round}, {dashboard.Stem} / '{panel.Title}' {refId}";
                        report.AppendLine(CultureInfo.InvariantCulture, $"  {(problem is null ? "equal" : "DIFFERS")}  {where}: operator {Show(value)}{(problem is null ? "" : $"; {problem}")}");
                        if (problem is not null)
                        {
                            failures.Add($"{where}: {problem}");
                        }
                        else if (refId == "A" && value is not null)
                        {
                            compared[panel.Title]++;
                        }
                    }
                }

                // The control: the former CPU panel, per pod over the limit, must not pass the same comparison.
                foreach (var former in new[] { FormerCpuPanelQuery, FormerCpuPanelQueryAveraged })
                {
                    var problem = await CompareAsync(http, prometheus, PanelDataProofTests.Substitute(former, variables, out _), at, replicas.Signals.CpuUtilization, cancel);
                    report.AppendLine(CultureInfo.InvariantCulture, $"  control, former CPU panel {former}: {problem ?? "EQUAL"}");
                    if (problem is null)
                    {
                        failures.Add($"round {round}: the former limit-based CPU panel query gave the operator's number too, so this comparison cannot tell them apart: {former}");
                    }
                }
            }
        }
        finally
        {
            await load0.DisposeAsync();
            await load1.DisposeAsync();
        }
        report.AppendLine(CultureInfo.InvariantCulture, $"CPU request {CpuRequestCores} cores, limit {limit} cores; {clock.Elapsed.TotalSeconds:F0} s in all");
        output?.WriteLine(report.ToString());

        // Every panel must have been compared with a real number at least once, not only with absent inputs.
        failures.AddRange(compared.Where(c => c.Value == 0).Select(c => $"'{c.Key}': the operator never had this input, so it was never compared"));
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n\n" + report);
    }

    /// <summary>Null when the query at <paramref name="at"/> gives exactly one series equal to <paramref name="expected"/> (or none when the operator had no input), else what differs.</summary>
    private static async Task<string?> CompareAsync(HttpClient http, PrometheusServer prometheus, string expr, double at, double? expected, CancellationToken cancel)
    {
        var result = await QueryAtAsync(http, prometheus, expr, at, cancel);
        if (!result.IsSuccess)
        {
            return $"{result.ErrorType}: {result.Error} in {expr}";
        }
        var values = result.Samples.Select(s => s.Value).ToList();
        if (expected is null)
        {
            return values.Count == 0 ? null : $"the operator had no input, the panel shows {string.Join(", ", values.Select(v => Show(v)))}";
        }
        if (values.Count != 1)
        {
            return $"{values.Count} series ({string.Join(", ", values.Select(v => Show(v)))}) where the operator decided on one number";
        }
        var difference = Math.Abs(values[0] - expected.Value);
        return difference <= RelativeTolerance * Math.Max(Math.Abs(expected.Value), double.Epsilon) ? null : $"the panel shows {Show(values[0])}";
    }

    /// <summary>An instant query at a given time (Unix seconds): every comparison of a round reads the same scrape.</summary>
    private static async Task<PromQueryResult> QueryAtAsync(HttpClient http, PrometheusServer prometheus, string expr, double at, CancellationToken cancel)
    {
        var url = new Uri(prometheus.BaseAddress, $"api/v1/query?query={Uri.EscapeDataString(expr)}&time={at.ToString("R", CultureInfo.InvariantCulture)}");
        using var response = await http.GetAsync(url, cancel);
        return PromQueryResult.Parse(await response.Content.ReadAsStringAsync(cancel));
    }

    /// <summary>Decisions counted so far by loop, from the operator's own /metrics.</summary>
    private static async Task<(double Replicas, double MinThreads)> DecisionCountsAsync(HttpClient http, Uri operatorMetrics, CancellationToken cancel)
    {
        var text = await http.GetStringAsync(operatorMetrics, cancel);
        double Sum(string loop) => text.Split('\n')
            .Where(l => l.StartsWith("platform_operator_decisions_total{", StringComparison.Ordinal) && l.Contains($"loop=\"{loop}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (Sum("replicas"), Sum("min_threads"));
    }

    /// <summary>Decisions counted by loop in the scrape Prometheus holds at <paramref name="at"/>.</summary>
    private static async Task<(double Replicas, double MinThreads)> DecisionCountsAsync(HttpClient http, PrometheusServer prometheus, double at, CancellationToken cancel)
    {
        var result = await QueryAtAsync(http, prometheus, "sum by (loop) (platform_operator_decisions_total{job=\"operator\"})", at, cancel);
        double Sum(string loop) => result.Samples.Where(s => s.Labels.TryGetValue("loop", out var l) && l == loop).Sum(s => s.Value);
        return (Sum("replicas"), Sum("min_threads"));
    }

    private static async Task WaitForTargetsAsync(PrometheusServer prometheus, string job, int count, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await prometheus.GetTargetsAsync(cancel)).Count(t => t.Job == job && t.IsUp) < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus did not scrape {count} '{job}' target(s) within 30 s.{prometheus.RecentOutput}");
            }
            await Task.Delay(250, cancel);
        }
    }

    /// <summary>
    /// The time (Unix seconds) of an operator scrape that started after <paramref name="decided"/>, so it carries that
    /// decision's gauges; the panels are evaluated at that instant.
    /// </summary>
    private static async Task<double> ScrapeAfterAsync(PrometheusServer prometheus, DateTimeOffset decided, CancellationToken cancel)
    {
        var after = decided.ToUnixTimeMilliseconds() / 1000.0;
        var result = await prometheus.WaitForResultAsync("max(timestamp(platform_operator_leader{job=\"operator\"}))",
            r => r.Samples.Count == 1 && r.Samples[0].Value > after, TimeSpan.FromSeconds(10), cancel);
        return result.Samples[0].Value;
    }

    private static string Show(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "none";

    /// <summary>
    /// The proof's spec (starvation at 50 ms or 10 queued items, a 10 s window) with decisions mostly when the
    /// test asks: replica evaluations hourly, so only the test's; min threads every 5 s, since that loop's
    /// window is its own interval and a longer one would leave it without a complete reading for as long.
    /// </summary>
    private static ThreadPoolAutoscalerSpec Spec()
    {
        var spec = PanelDataProofTests.LocalSpec();
        spec.EvaluationIntervalSeconds = 3600;
        spec.PodSignals.IntervalMilliseconds = 5000;
        spec.Prometheus.MaxStalenessSeconds = 30;
        return spec;
    }
}
