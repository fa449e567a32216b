using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Observability.Tests.LoadTests;
using Platform.Observability.Tests.Proof;
using Platform.Observability.Tests.Report;
using Platform.Operator.Api;

namespace Platform.Observability.Tests.Experiments;

/// <summary>Requests sent together under one k6 scenario name.</summary>
public sealed record ExperimentLoad(string Scenario, IReadOnlyList<LoadKind> Kinds);

/// <summary>A stretch of the run in which the given loads run side by side.</summary>
public sealed record ExperimentPhase(TimeSpan Length, IReadOnlyList<ExperimentLoad> Loads);

/// <summary>
/// One experiment: the k6 script whose verdict judges it, the load it describes (phases as the script's
/// scenarios), and the script settings (its environment variables) that make the script's windows match.
/// </summary>
public sealed record ExperimentPlan(
    string Name,
    IReadOnlyList<ExperimentPhase> Phases,
    IReadOnlyDictionary<string, string> Settings,
    Action<ThreadPoolAutoscalerSpec>? AdjustSpec = null);

/// <summary>What a run left: the verdict (as the script printed it), the report page and what Chromium saw of it.</summary>
public sealed record ExperimentResult(string TestId, HarnessRun Verdict, string Folder, string Report, JsonObject Page, IReadOnlyList<string> ClusterErrors)
{
    public JsonObject VerdictJson => Verdict.VerdictJson();

    public IReadOnlyList<string[]> VerdictRows => Verdict.VerdictRows();

    /// <summary>The verdict table as the script printed it, from its header to the overall line.</summary>
    public string VerdictTable => string.Join('\n', Verdict.Output.Split('\n')
        .SkipWhile(l => !l.StartsWith("check ", StringComparison.Ordinal))
        .TakeWhile(l => !l.StartsWith("VERDICT-JSON", StringComparison.Ordinal)));
}

/// <summary>
/// Runs an experiment on this machine: the local cluster (<see cref="LocalCluster"/>), the plan's load
/// through its Service with k6-shaped series pushed to Prometheus by remote write each second, then the
/// script's own teardown() (the server-side verdict, through the harness) against that Prometheus, then
/// the report page (report.mjs), opened in Chromium. Writes k6.log, summary.json, operator.log,
/// report.html and report.png to the run's folder.
/// The load is a closed loop of workers per request kind (each worker sends its next request when the last
/// answered), not k6's arrival-rate executors; its connections live one second, so each new one is placed
/// by the Service and pods added by a scale-out take their share.
/// </summary>
public static class LocalExperiment
{
    public static readonly TimeSpan ConnectionLifetime = TimeSpan.FromSeconds(1);

    public static async Task<ExperimentResult> RunAsync(ExperimentPlan plan, string artifacts, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var testId = $"{plan.Name}-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        var folder = Path.Combine(artifacts, testId);
        Directory.CreateDirectory(folder);
        void Log(string line) => log($"{clock.Elapsed.TotalSeconds,5:F0} s  {plan.Name}: {line}");

        await using var cluster = await LocalCluster.StartAsync(plan.AdjustSpec ?? (_ => { }), cancellationToken);
        var prometheus = cluster.Prometheus;
        Log($"cluster up: 1 pod, operator on :{cluster.OperatorPort}, Prometheus {prometheus.BaseAddress}, Service {cluster.ServiceAddress}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = ConnectionLifetime, MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = cluster.ServiceAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

        // The starting state the verdict compares against: both loops have published their state for this
        // autoscaler (one replica, the baseline min threads) and Prometheus has scraped it.
        var selector = $"autoscaler=\"{LocalCluster.AutoscalerLabel}\"";
        await prometheus.WaitForResultAsync(
            $"platform_operator_current_replicas{{{selector}}} == 1 and on() platform_operator_desired_min_threads{{{selector}}} > 0",
            r => r.IsSuccess && r.Samples.Count > 0, TimeSpan.FromSeconds(60), cancellationToken);
        Log("starting state: 1 replica, min threads published; load starts");

        var from = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(2);
        var start = DateTimeOffset.UtcNow;
        var totals = new List<(string Scenario, int Count, int Failed, IReadOnlyList<double> Durations)>();
        foreach (var phase in plan.Phases)
        {
            var loads = phase.Loads.Select(l => (l.Scenario, Load: new MixedLoad(client, l.Kinds))).ToList();
            try
            {
                var phaseEnd = DateTime.UtcNow + phase.Length;
                while (DateTime.UtcNow < phaseEnd)
                {
                    await Task.Delay(1000, cancellationToken);
                    var now = DateTimeOffset.UtcNow;
                    await RemoteWrite.SendAsync(http, prometheus.BaseAddress, loads.SelectMany(l => l.Load.K6Samples(testId, l.Scenario, now)), cancellationToken);
                }
            }
            finally
            {
                foreach (var (_, load) in loads)
                {
                    await load.DisposeAsync();
                }
            }
            var end = DateTimeOffset.UtcNow;
            await RemoteWrite.SendAsync(http, prometheus.BaseAddress, loads.SelectMany(l => l.Load.K6Samples(testId, l.Scenario, end)), cancellationToken);
            foreach (var (scenario, load) in loads)
            {
                var (count, failed, durations) = load.Totals();
                totals.Add((scenario, count, failed, durations));
                Log($"{scenario} done: {load.Summary()}; pods {cluster.PodCount}, connections {string.Join(", ", cluster.ConnectionsPerPod().Select(p => $"{p.Key} {p.Value}"))}");
            }
        }
        // Two scrapes more, so the last seconds are in Prometheus before the verdict asks.
        await Task.Delay(2500, cancellationToken);

        var settings = new Dictionary<string, string>(plan.Settings)
        {
            ["PROMETHEUS_URL"] = prometheus.BaseAddress.ToString().TrimEnd('/'),
            ["HARNESS_DATA"] = $"{{\"startMs\":{start.ToUnixTimeMilliseconds()}}}",
            ["VERDICT_SETTLE_SECONDS"] = "0",
            // As long as the verdict's 5 s range step: a shorter window leaves gaps between the points, and the
            // operator ends a burst's starvation within seconds, so its peak could fall into one.
            ["VERDICT_RATE_WINDOW_SECONDS"] = "5",
            // The phases here last tens of seconds, not minutes, and the balancer's connections live 1 s: 10 s
            // after the last new pod is up is enough to see every pod take its share.
            ["SHARE_MIN_SECONDS"] = "10",
            ["TESTID"] = testId,
            ["NAMESPACE"] = LocalCluster.Namespace,
            ["AUTOSCALER"] = LocalCluster.AutoscalerLabel,
        };
        var verdict = await Harness.RunAsync($"{plan.Name}.js", "teardown", settings);
        var logFile = Path.Combine(folder, "k6.log");
        await File.WriteAllTextAsync(logFile, verdict.Output, cancellationToken);
        var verdictFailures = verdict.VerdictRows().Count(r => r.Length > 3 && r[3] == "FAIL");
        var summary = Path.Combine(folder, "summary.json");
        await File.WriteAllTextAsync(summary, K6Summary(totals, verdictFailures, (DateTimeOffset.UtcNow - start).TotalSeconds).ToJsonString(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "operator.log"), cluster.OperatorLog, cancellationToken);
        var to = DateTimeOffset.UtcNow;
        Log($"verdict {verdict.VerdictJson()["overall"]}; pods {cluster.PodCount}; cluster errors: {(cluster.Errors.Count == 0 ? "none" : string.Join("; ", cluster.Errors))}");

        var html = Path.Combine(folder, "report.html");
        var (exitCode, generated) = await ReportTools.GenerateAsync(
            "--prometheus", prometheus.BaseAddress.ToString(), "--from", from.ToString("O", CultureInfo.InvariantCulture),
            "--to", to.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "--testid", testId, "--scenario", plan.Name,
            "--namespace", LocalCluster.Namespace, "--autoscaler", LocalCluster.AutoscalerLabel, "--summary", summary, "--verdict", logFile,
            "--exit-code", verdictFailures == 0 ? "0" : "99", "--out", html);
        Assert.True(exitCode == 0, generated);
        var page = await ReportTools.InspectAsync(html, Path.Combine(folder, "report.png"));
        Log($"report: {html}");
        return new ExperimentResult(testId, verdict, folder, html, page, cluster.Errors);
    }

    /// <summary>What `k6 run --summary-export` writes, from the run's own requests (trends in milliseconds).</summary>
    private static JsonObject K6Summary(IReadOnlyList<(string Scenario, int Count, int Failed, IReadOnlyList<double> Durations)> scenarios, int verdictFailures, double seconds)
    {
        var count = scenarios.Sum(s => s.Count);
        var failed = scenarios.Sum(s => s.Failed);
        var metrics = new JsonObject
        {
            ["http_reqs"] = new JsonObject { ["count"] = count, ["rate"] = count / seconds },
            ["iterations"] = new JsonObject { ["count"] = count, ["rate"] = count / seconds },
            ["http_req_duration"] = Trend([.. scenarios.SelectMany(s => s.Durations)]),
            ["http_req_failed"] = new JsonObject { ["passes"] = failed, ["fails"] = count - failed, ["value"] = count == 0 ? 0 : (double)failed / count },
            ["verdict_failures"] = new JsonObject
            {
                ["count"] = verdictFailures, ["rate"] = verdictFailures / seconds, ["thresholds"] = new JsonObject { ["count==0"] = verdictFailures != 0 },
            },
        };
        foreach (var scenario in scenarios)
        {
            metrics[$"http_req_duration{{scenario:{scenario.Scenario}}}"] = Trend(scenario.Durations);
        }
        return new JsonObject { ["metrics"] = metrics, ["root_group"] = new JsonObject { ["name"] = "", ["path"] = "", ["groups"] = new JsonArray(), ["checks"] = new JsonArray() } };
    }

    private static JsonObject Trend(IReadOnlyList<double> secondsEach)
    {
        var ms = secondsEach.Select(s => s * 1000).Order().ToArray();
        double At(double q) => ms.Length == 0 ? 0 : ms[Math.Clamp((int)Math.Ceiling(q * ms.Length) - 1, 0, ms.Length - 1)];
        return new JsonObject
        {
            ["avg"] = ms.Length == 0 ? 0 : ms.Average(), ["min"] = At(0), ["med"] = At(0.5), ["max"] = ms.Length == 0 ? 0 : ms[^1], ["p(90)"] = At(0.9), ["p(95)"] = At(0.95),
        };
    }
}
