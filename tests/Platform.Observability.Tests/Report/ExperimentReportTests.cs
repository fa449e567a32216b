using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Observability.Tests.LoadTests;
using Platform.Observability.Tests.Proof;
using Platform.Operator.Hosting;
using Platform.Operator.Local;
using Platform.Testing;

namespace Platform.Observability.Tests.Report;

/// <summary>
/// The experiment report of a real short run, opened in a real headless Chromium: the API on loopback, the
/// operator in local mode in this process, a real Prometheus scraping both and receiving k6-shaped series by
/// remote write, a starvation-burst in three phases (trickle, blocking burst, trickle) so the operator raises
/// min threads, then starvation-burst.js's own verdict (through the harness) against that Prometheus, and
/// report.mjs over the whole range.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class ExperimentReportTests
{
    private const string Namespace = "platform";
    private const string TestId = "report-proof";
    private const int WaitMs = 100;

    private static readonly (string Name, TimeSpan Length, LoadKind Load)[] Phases =
    [
        ("baseline", TimeSpan.FromSeconds(6), Get("io-delay", "async", 2, $"/io/delay/async?ms={WaitMs}")),
        ("burst", TimeSpan.FromSeconds(20), Get("io-delay", "sync", 40, $"/io/delay/sync?ms={WaitMs * 2}")),
        ("after", TimeSpan.FromSeconds(8), Get("io-delay", "async", 2, $"/io/delay/async?ms={WaitMs}")),
    ];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_report_of_a_real_starvation_burst_has_points_in_every_plot_and_a_marker_per_decision_in_chromium()
    {
        ReportTools.RequirePrometheus();
        ReportTools.RequireNode();
        ReportTools.RequireNodeModules();
        ReportTools.RequireChromium();
        var cancel = TestContext.Current.CancellationToken;
        var output = TestContext.Current.TestOutputHelper;
        var clock = Stopwatch.StartNew();
        var folder = Path.Combine(ReportTools.ArtifactsFolder, "report");
        Directory.CreateDirectory(folder);

        await using var api = await ApiProcess.StartAsync();
        var prometheusPort = FreeTcpPort.Next();
        var prometheusUri = new Uri($"http://127.0.0.1:{prometheusPort}/");
        var operatorPort = FreeTcpPort.Next();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await using var operatorHost = OperatorHost.Build(
            PanelDataProofTests.LocalOperator(api.ControlBaseAddress, new Uri($"http://{api.ControlAddress}/metrics"), prometheusUri, operatorPort),
            ["--Logging:LogLevel:Default=Warning"]);
        await operatorHost.StartAsync(cancel);
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Port = prometheusPort,
            ScrapeInterval = TimeSpan.FromSeconds(1),
            EnableRemoteWriteReceiver = true,
            Targets =
            [
                new ScrapeTarget("api", api.ControlAddress, Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "api-0" }),
                new ScrapeTarget("operator", $"127.0.0.1:{operatorPort}", Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "operator-0" }),
            ],
        }, cancel);
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), cancel);

        // The run: three phases like starvation-burst.js's, k6's series pushed every second.
        var from = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(2);
        var start = DateTimeOffset.UtcNow;
        var totals = new Dictionary<string, (int Count, int Failed, IReadOnlyList<double> Durations, TimeSpan Length)>();
        foreach (var (name, length, kind) in Phases)
        {
            var load = new MixedLoad(api.Client, [kind]);
            try
            {
                var phaseEnd = DateTime.UtcNow + length;
                while (DateTime.UtcNow < phaseEnd)
                {
                    await Task.Delay(1000, cancel);
                    var now = DateTimeOffset.UtcNow;
                    var samples = load.K6Samples(TestId, name, now);
                    await RemoteWrite.SendAsync(http, prometheus.BaseAddress, samples, cancel);
                }
            }
            finally
            {
                await load.DisposeAsync();
            }
            await RemoteWrite.SendAsync(http, prometheus.BaseAddress, load.K6Samples(TestId, name, DateTimeOffset.UtcNow), cancel);
            var (count, failed, durations) = load.Totals();
            totals[name] = (count, failed, durations, length);
            output?.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {name} done, {load.Summary()}");
        }
        await Task.Delay(2500, cancel);

        // The verdict, by starvation-burst.js's own teardown() against this Prometheus; its output is the run's log.
        var verdictRun = await Harness.RunAsync("starvation-burst.js", "teardown", new Dictionary<string, string>
        {
            ["PROMETHEUS_URL"] = prometheus.BaseAddress.ToString().TrimEnd('/'),
            ["HARNESS_DATA"] = $"{{\"startMs\":{start.ToUnixTimeMilliseconds()}}}",
            ["VERDICT_SETTLE_SECONDS"] = "0",
            ["VERDICT_RATE_WINDOW_SECONDS"] = "3",
            ["IDLE"] = Seconds(Phases[0].Length), ["BURST"] = Seconds(Phases[1].Length), ["AFTER"] = Seconds(Phases[2].Length),
            ["WAIT_MS"] = WaitMs.ToString(CultureInfo.InvariantCulture),
            ["TESTID"] = TestId, ["NAMESPACE"] = Namespace, ["AUTOSCALER"] = LocalAutoscaler.Name,
        });
        Assert.True(verdictRun.ExitCode == 0, verdictRun.ToString());
        var log = Path.Combine(folder, "k6.log");
        await File.WriteAllTextAsync(log, verdictRun.Output, cancel);
        var verdictRows = verdictRun.VerdictRows();
        var summary = Path.Combine(folder, "summary.json");
        var verdictFailures = verdictRows.Count(r => r[3] == "FAIL");
        var (summaryJson, thresholdFailed) = K6Summary(totals, verdictFailures);
        await File.WriteAllTextAsync(summary, summaryJson.ToJsonString(), cancel);
        var to = DateTimeOffset.UtcNow;

        var html = Path.Combine(folder, "report.html");
        var (exitCode, generated) = await ReportTools.GenerateAsync(
            "--prometheus", prometheus.BaseAddress.ToString(), "--from", from.ToString("O", CultureInfo.InvariantCulture),
            "--to", to.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "--testid", TestId, "--scenario", "starvation-burst",
            "--namespace", Namespace, "--autoscaler", LocalAutoscaler.Name, "--summary", summary, "--verdict", log,
            "--exit-code", thresholdFailed ? "99" : "0", "--out", html);
        Assert.True(exitCode == 0, generated);
        Assert.True(generated.Trim().Length == 0, $"the generator warned:\n{generated}");

        var screenshot = Path.Combine(ReportTools.ArtifactsFolder, "report.png");
        var page = await ReportTools.InspectAsync(html, screenshot);
        output?.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: page {html}, screenshot {screenshot}");
        output?.WriteLine(page.ToJsonString());

        Assert.Empty(page["consoleErrors"]!.AsArray());
        Assert.Equal([new Uri(html).AbsoluteUri], page["requests"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains(prometheus.BaseAddress.ToString().TrimEnd('/'), page["provenance"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(TestId, page["provenance"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(page["noDataCount"]!.GetValue<int>() == 0, $"series without data: {page["noData"]}");
        Assert.Null(page["problems"]);

        // Every plot is drawn, over more than one point in time, and every series on it has points.
        var plots = page["plots"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        var charts = page["charts"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(7, plots.Count);
        Assert.Equal(plots, charts.Select(c => "plot-" + c["id"]!.GetValue<string>()));
        foreach (var chart in charts)
        {
            Assert.True(chart["points"]!.GetValue<int>() > 10, $"{chart["id"]}: {chart["points"]} points in time");
            var series = chart["series"]!.AsArray();
            Assert.NotEmpty(series);
            Assert.All(series, s => Assert.True(s!["nonNull"]!.GetValue<int>() > 1, $"{chart["id"]} / {s["label"]}: {s["nonNull"]} points"));
            Assert.True(chart["markers"]!.GetValue<int>() > 0, $"{chart["id"]} has no decision marker");
        }
        // The threshold lines come from the series, with the spec's value.
        Assert.Contains(charts.Single(c => c["id"]!.GetValue<string>() == "cpu")["series"]!.AsArray(), s => s!["label"]!.GetValue<string>().StartsWith("target", StringComparison.Ordinal));

        // The operator raised min threads for starvation: a marker says so, and its tooltip gives the reason.
        Assert.Contains("ThreadPoolStarvation", page["markerReasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        var tooltip = page["tooltip"]?.GetValue<string>() ?? "";
        Assert.Contains("reason: ", tooltip, StringComparison.Ordinal);
        Assert.Contains(" loop: ", tooltip, StringComparison.Ordinal);
        Assert.True(page["decisionRows"]!.GetValue<int>() > 0);

        // The verdict table is the one the run printed, row for row.
        var shown = page["verdictRows"]!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToList();
        Assert.Equal(verdictRows.Count, shown.Count);
        Assert.All(verdictRows.Zip(shown), pair => Assert.Equal(pair.First, pair.Second));
        Assert.True(page["summaryRows"]!.GetValue<int>() >= 5);

        var png = new FileInfo(screenshot);
        Assert.True(png.Exists && png.Length > 50_000, $"screenshot {screenshot}: {(png.Exists ? png.Length : 0)} bytes");
    }

    [Fact]
    public async Task Without_prometheus_the_page_still_says_where_it_looked_and_reads_the_verdict_from_k6s_log_record()
    {
        ReportTools.RequireNodeModules();
        var folder = Directory.CreateTempSubdirectory("report-offline-").FullName;
        try
        {
            // A log as k6 writes it when stderr is not a terminal: logfmt, the message in Go's %q quoting.
            var verdict = new JsonObject
            {
                ["title"] = "starvation-burst", ["overall"] = "FAIL", ["prometheus"] = "http://prometheus.test:9090", ["testid"] = "t-1",
                ["rows"] = new JsonArray(new JsonObject { ["check"] = "delay \"peak\"", ["expected"] = ">= 100.0 ms", ["observed"] = "1.2 s × 3", ["result"] = "PASS" }),
            };
            var log = Path.Combine(folder, "k6.log");
            await File.WriteAllTextAsync(log,
                "time=\"2025-01-01T12:00:00Z\" level=info msg=\"server-side verdict: FAIL\" source=console\n" +
                $"time=\"2025-01-01T12:00:00Z\" level=info msg={GoQuote("VERDICT-JSON " + verdict.ToJsonString(new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))} source=console\n",
                TestContext.Current.CancellationToken);
            var html = Path.Combine(folder, "report.html");
            var closed = $"http://127.0.0.1:{FreeTcpPort.Next()}";

            var (exitCode, output) = await ReportTools.GenerateAsync("--prometheus", closed, "--from", "2025-01-01T12:00:00Z", "--to", "2025-01-01T12:05:00Z",
                "--testid", "t-1", "--verdict", log, "--out", html);

            Assert.True(exitCode == 0, output);
            Assert.Contains($"Prometheus at {closed} answered no query", output, StringComparison.Ordinal);
            var text = await File.ReadAllTextAsync(html, TestContext.Current.CancellationToken);
            Assert.DoesNotMatch(@"\s(src|href)\s*=", text);
            Assert.Contains("Content-Security-Policy\" content=\"default-src 'none'", text, StringComparison.Ordinal);
            var data = ReportTools.PageData(text);
            Assert.Equal(closed, data["meta"]!["prometheus"]!.GetValue<string>());
            Assert.Equal(150, data["x"]!.AsArray().Count - 1);
            Assert.Contains($"Prometheus at {closed} answered no query", data["problems"]![0]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.All(data["plots"]!.AsArray(), p => Assert.Empty(p!["series"]!.AsArray()));
            Assert.Equal(data["plots"]!.AsArray().Sum(p => p!["queries"]!.AsArray().Count) + 1, data["noData"]!.AsArray().Count);
            Assert.Equal(verdict.ToJsonString(), data["verdict"]!.ToJsonString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--from", "1", "--to", "2", "--testid", "t", "--out", "x.html" }, "--prometheus is required")]
    [InlineData(new[] { "--prometheus", "prometheus:9090", "--from", "1", "--to", "2", "--testid", "t", "--out", "x.html" }, "--prometheus 'prometheus:9090' is not an http(s) URL")]
    [InlineData(new[] { "--prometheus", "http://p", "--from", "yesterday", "--to", "2", "--testid", "t", "--out", "x.html" }, "--from 'yesterday' is neither unix seconds nor an ISO 8601 time")]
    [InlineData(new[] { "--prometheus", "http://p", "--from", "20", "--to", "10", "--testid", "t", "--out", "x.html" }, "--to (10) must be after --from (20)")]
    [InlineData(new[] { "--prometheus", "http://p", "--from", "0", "--to", "100000", "--step", "1", "--testid", "t", "--out", "x.html" }, "--step '1' must be positive and give at most 11000 points")]
    [InlineData(new[] { "--promethues", "http://p" }, "Unknown option '--promethues'")]
    public async Task Bad_arguments_get_one_line_naming_the_argument_and_exit_2(string[] arguments, string message)
    {
        ReportTools.RequireNode();

        var (exitCode, output) = await ReportTools.GenerateAsync(arguments);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    /// <summary>
    /// What `k6 run --summary-export` writes, from the run's own requests: trends in milliseconds, rates
    /// with passes and fails, and each threshold as true when it failed. Returns whether one failed.
    /// </summary>
    private static (JsonObject Summary, bool ThresholdFailed) K6Summary(
        IReadOnlyDictionary<string, (int Count, int Failed, IReadOnlyList<double> Durations, TimeSpan Length)> phases, int verdictFailures)
    {
        var seconds = phases.Values.Sum(p => p.Length.TotalSeconds);
        var count = phases.Values.Sum(p => p.Count);
        var failed = phases.Values.Sum(p => p.Failed);
        var baselineP95Limit = WaitMs * 1.5 + 50;
        var baseline = Trend(phases["baseline"].Durations);
        var baselineFailed = baseline["p(95)"]!.GetValue<double>() >= baselineP95Limit;
        baseline["thresholds"] = new JsonObject { [$"p(95)<{baselineP95Limit.ToString(CultureInfo.InvariantCulture)}"] = baselineFailed };
        var burstFailedRate = phases["burst"].Count == 0 ? 0 : (double)phases["burst"].Failed / phases["burst"].Count;
        var metrics = new JsonObject
        {
            ["http_reqs"] = new JsonObject { ["count"] = count, ["rate"] = count / seconds },
            ["iterations"] = new JsonObject { ["count"] = count, ["rate"] = count / seconds },
            ["http_req_duration"] = Trend(phases.Values.SelectMany(p => p.Durations).ToList()),
            ["http_req_duration{scenario:baseline}"] = baseline,
            ["http_req_failed"] = new JsonObject { ["passes"] = failed, ["fails"] = count - failed, ["value"] = count == 0 ? 0 : (double)failed / count },
            ["http_req_failed{scenario:burst}"] = new JsonObject
            {
                ["passes"] = phases["burst"].Failed, ["fails"] = phases["burst"].Count - phases["burst"].Failed, ["value"] = burstFailedRate,
                ["thresholds"] = new JsonObject { ["rate<0.1"] = burstFailedRate >= 0.1 },
            },
            ["verdict_failures"] = new JsonObject
            {
                ["count"] = verdictFailures, ["rate"] = verdictFailures / seconds, ["thresholds"] = new JsonObject { ["count==0"] = verdictFailures != 0 },
            },
        };
        return (new JsonObject { ["metrics"] = metrics, ["root_group"] = new JsonObject { ["name"] = "", ["path"] = "", ["groups"] = new JsonArray(), ["checks"] = new JsonArray() } },
            baselineFailed || burstFailedRate >= 0.1 || verdictFailures != 0);
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

    /// <summary>Go's %q for the printable text k6 logs: backslash and quote escaped, newlines as \n.</summary>
    private static string GoQuote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";

    private static LoadKind Get(string workload, string mode, int workers, string path) =>
        new(workload, mode, workers, (client, cancel) => client.GetAsync(path, cancel));
}
