using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// A real API scraped by a real Prometheus (job "api", every second), with ten seconds of traffic: fan-out in
/// both modes, awaited and blocking waits, database reads. No operator, so the operator's rows have no data.
/// </summary>
public sealed class ScrapedApiFixture : IAsyncLifetime
{
    public static readonly TimeSpan TrafficLength = TimeSpan.FromSeconds(10);

    public ApiProcess Api { get; private set; } = null!;

    public PrometheusServer? Prometheus { get; private set; }

    public DateTimeOffset TrafficStart { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (ToolLocator.Find("prometheus") is null) return;
        Api = await ApiProcess.StartAsync();
        Prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Targets = [new ScrapeTarget("api", Api.Address)],
            ScrapeInterval = TimeSpan.FromSeconds(1),
        });
        await Prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30));
        TrafficStart = DateTimeOffset.UtcNow;
        var until = TrafficStart + TrafficLength;
        string[] paths =
        [
            "/fanout/sequential?calls=5&ms=50", "/fanout/sequential?calls=5&ms=50", "/fanout/when-all?calls=5&ms=50",
            "/fanout/when-all?calls=5&ms=50", "/io/delay/async?ms=20", "/io/delay/sync?ms=20", "/db/async?ms=5&rows=2",
        ];
        await Task.WhenAll(paths.Select(async path =>
        {
            while (DateTimeOffset.UtcNow < until)
            {
                using var response = await Api.Client.GetAsync(path);
                response.EnsureSuccessStatusCode();
            }
        }));
        // Let Prometheus scrape the last of it.
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    public async ValueTask DisposeAsync()
    {
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
    }
}

/// <summary>
/// teardown() of every script, that is the server-side verdict, against the real Prometheus: every query
/// parses and every check evaluates to PASS, FAIL, INFO or UNKNOWN-for-lack-of-data (never a script error),
/// the table is printed, and the failure counter gets exactly one sample.
/// </summary>
public sealed class HarnessVerdictTests(ScrapedApiFixture fixture) : IClassFixture<ScrapedApiFixture>
{
    public static IEnumerable<object[]> Scenarios() => K6Scripts.ScenarioNames();

    /// <summary>Phases shrunk to fit the fixture's ten seconds of traffic.</summary>
    private Dictionary<string, string> Environment(string prometheusUrl) => new()
    {
        ["PROMETHEUS_URL"] = prometheusUrl,
        ["HARNESS_DATA"] = $"{{\"startMs\":{fixture.TrafficStart.ToUnixTimeMilliseconds()},\"provider\":\"sqlite\"}}",
        ["VERDICT_SETTLE_SECONDS"] = "0",
        ["VERDICT_RATE_WINDOW_SECONDS"] = "3",
        ["DURATION"] = "10s", ["GAP"] = "0s", ["PHASE"] = "2s",
        ["IDLE"] = "3s", ["BURST"] = "5s", ["AFTER"] = "2s", ["RAMP"] = "5s", ["HOLD"] = "5s",
        ["TESTID"] = "harness",
    };

    private string PrometheusUrl()
    {
        if (fixture.Prometheus is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "prometheus is not installed (Debian package 'prometheus').");
            Assert.Fail("prometheus is not installed (Debian package 'prometheus').");
        }
        return fixture.Prometheus.BaseAddress.ToString().TrimEnd('/');
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task The_verdict_runs_against_prometheus(string script)
    {
        var run = await Harness.RunAsync(script, "teardown", Environment(PrometheusUrl()));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("server-side verdict: ", run.Output, StringComparison.Ordinal);
        var rows = run.VerdictRows();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            Assert.True(row.Length == 4, $"{script}: not a table row: {string.Join(" | ", row)}");
            Assert.Contains(row[3], new[] { "PASS", "FAIL", "INFO", "UNKNOWN" });
            Assert.False(row[2].StartsWith("error:", StringComparison.Ordinal), $"{script}: '{row[0]}' raised {row[2]}");
        }
        Assert.Single(run.Samples("verdict_failures"));
        Assert.Equal(rows.Count(r => r[3] == "FAIL"), run.Samples("verdict_failures")[0]);

        // The same verdict as one machine-readable line, for the experiment report: every row, and the overall result.
        var json = run.VerdictJson();
        Assert.Equal(rows.Select(r => string.Join(" | ", r)), json["rows"]!.AsArray().Select(r =>
            string.Join(" | ", new[] { "check", "expected", "observed", "result" }.Select(k => r![k]!.GetValue<string>().Trim()))));
        Assert.Contains($"server-side verdict: {json["overall"]!.GetValue<string>()}", run.Output, StringComparison.Ordinal);
        Assert.Equal("harness", json["testid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Smoke_sees_the_api_scraped()
    {
        var run = await Harness.RunAsync("smoke.js", "teardown", Environment(PrometheusUrl()));
        var row = Assert.Single(run.VerdictRows());
        Assert.Equal(["Prometheus scrapes the API", "at least 1 API target up", "1 up", "PASS"], row);
        Assert.Contains("server-side verdict: PASS", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fanout_passes_on_real_sequential_and_when_all_traffic()
    {
        var run = await Harness.RunAsync("fanout.js", "teardown", Environment(PrometheusUrl()));
        var ratio = run.VerdictRows().Single(r => r[0] == "server-side median, sequential / when-all");
        Assert.True(ratio[3] == "PASS", run.ToString());
        Assert.Equal([0.0], run.Samples("verdict_failures"));
    }

    [Fact]
    public async Task A_failed_check_counts_in_verdict_failures()
    {
        // 5 calls of 50 ms: a ratio of 4 to 5, short of the 0.6 x 50 = 30 that CALLS=50 asks for.
        var env = Environment(PrometheusUrl());
        env["CALLS"] = "50";
        var run = await Harness.RunAsync("fanout.js", "teardown", env);
        var ratio = run.VerdictRows().Single(r => r[0] == "server-side median, sequential / when-all");
        Assert.Equal("FAIL", ratio[3]);
        Assert.Equal([1.0], run.Samples("verdict_failures"));
        Assert.Contains("server-side verdict: FAIL", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Without_prometheus_the_verdict_is_unknown_and_fails_nothing(string script)
    {
        var env = Environment($"http://127.0.0.1:{FreeTcpPort.Next()}");
        var run = await Harness.RunAsync(script, "teardown", env);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.All(run.VerdictRows(), row => Assert.Equal("UNKNOWN", row[3]));
        Assert.All(run.VerdictRows(), row => Assert.StartsWith("Prometheus unreachable", row[2], StringComparison.Ordinal));
        Assert.Contains("server-side verdict: UNKNOWN (Prometheus unreachable", run.Output, StringComparison.Ordinal);
        Assert.Equal([0.0], run.Samples("verdict_failures"));
    }
}
