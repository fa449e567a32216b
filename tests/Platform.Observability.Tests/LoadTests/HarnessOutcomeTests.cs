using Platform.Observability.Tests.Proof;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// The platform's series over the last minutes, written into a real Prometheus by remote write with the
/// labels the cluster's scrape gives them (job, namespace, pod, instance; the operator's autoscaler key; k6's
/// testid and scenario), one sample a second. A timeline is one experiment's story: when pods came up, what
/// each pod served, the scheduling delay, min threads and k6's p95.
/// </summary>
internal sealed class PlatformTimeline
{
    public const string Namespace = "platform";
    public const string Autoscaler = "platform/platform-api";
    public const string TestId = "outcome";

    private readonly List<RemoteWriteSample> _samples = [];

    public PlatformTimeline(DateTimeOffset start, int seconds)
    {
        Start = start;
        Seconds = seconds;
    }

    public DateTimeOffset Start { get; }

    public int Seconds { get; }

    private static Dictionary<string, string> Api(string name, string pod, params (string Key, string Value)[] more)
    {
        var labels = new Dictionary<string, string>
        {
            ["__name__"] = name, ["job"] = "api", ["namespace"] = Namespace, ["pod"] = pod, ["instance"] = $"{pod}:8080",
        };
        foreach (var (key, value) in more) labels[key] = value;
        return labels;
    }

    /// <summary>A pod scraped from second <paramref name="upFrom"/> on, with its min threads and scheduling delay (mean per second).</summary>
    public PlatformTimeline Pod(string pod, int upFrom, Func<int, double> minThreads, Func<int, double> delaySeconds)
    {
        double sum = 0, count = 0;
        for (var t = upFrom; t < Seconds; t++)
        {
            var at = Start.AddSeconds(t);
            sum += delaySeconds(t) * 10;
            count += 10;
            Add(Api("up", pod), 1, at);
            Add(Api("platform_thread_pool_min_threads", pod, ("kind", "worker")), minThreads(t), at);
            Add(Api("platform_thread_pool_scheduling_delay_seconds_sum", pod), sum, at);
            Add(Api("platform_thread_pool_scheduling_delay_seconds_count", pod), count, at);
        }
        return this;
    }

    /// <summary>Workload requests a pod served, per second; a pod that serves none has no series, as in the API.</summary>
    public PlatformTimeline Requests(string pod, string workload, string mode, Func<int, double> perSecond)
    {
        double total = 0;
        for (var t = 0; t < Seconds; t++)
        {
            total += perSecond(t);
            if (total == 0) continue;
            Add(Api("http_server_request_duration_seconds_count", pod,
                ("http_request_method", "GET"), ("http_response_status_code", "200"), ("http_route", "/x"), ("network_protocol_version", "1.1"),
                ("url_scheme", "http"), ("workload", workload), ("mode", mode)), total, Start.AddSeconds(t));
        }
        return this;
    }

    /// <summary>k6's p95 of one scenario (seconds), pushed every 5 s as the remote-write output does.</summary>
    public PlatformTimeline ClientP95(string scenario, Func<int, double> seconds)
    {
        for (var t = 0; t < Seconds; t += 5)
        {
            Add(new Dictionary<string, string>
            {
                ["__name__"] = "k6_http_req_duration_p95", ["testid"] = TestId, ["scenario"] = scenario, ["name"] = "/x",
                ["method"] = "GET", ["status"] = "200", ["workload"] = "x", ["mode"] = "sync", ["expected_response"] = "true",
            }, seconds(t), Start.AddSeconds(t));
        }
        return this;
    }

    /// <summary>The operator's gauges and its decisions counter (acting decisions at the given seconds, by reason).</summary>
    public PlatformTimeline Operator(Func<int, double> replicas, Func<int, double> desiredMinThreads, params (int At, string Loop, string ReplicaAction, string MinThreadsAction, string Reason)[] decisions)
    {
        Dictionary<string, string> Labels(string name) => new()
        {
            ["__name__"] = name, ["job"] = "operator", ["namespace"] = Namespace, ["pod"] = "platform-operator-0",
            ["instance"] = "platform-operator-0:8081", ["autoscaler"] = Autoscaler,
        };
        for (var t = 0; t < Seconds; t++)
        {
            var at = Start.AddSeconds(t);
            Add(Labels("platform_operator_current_replicas"), replicas(t), at);
            Add(Labels("platform_operator_desired_min_threads"), desiredMinThreads(t), at);
            var none = Labels("platform_operator_decisions_total");
            foreach (var (key, value) in new[] { ("loop", "replicas"), ("regime", "balanced"), ("replica_action", "none"), ("min_threads_action", "none"), ("reason", "WithinTolerance") }) none[key] = value;
            Add(none, t + 1, at);
            foreach (var group in decisions.GroupBy(d => (d.Loop, d.ReplicaAction, d.MinThreadsAction, d.Reason)))
            {
                var made = group.Count(d => d.At <= t);
                if (made == 0) continue;
                var labels = Labels("platform_operator_decisions_total");
                labels["loop"] = group.Key.Loop;
                labels["regime"] = group.Key.Reason == "ThreadPoolStarvation" ? "starvation" : "saturation";
                labels["replica_action"] = group.Key.ReplicaAction;
                labels["min_threads_action"] = group.Key.MinThreadsAction;
                labels["reason"] = group.Key.Reason;
                Add(labels, made, at);
            }
        }
        return this;
    }

    private void Add(Dictionary<string, string> labels, double value, DateTimeOffset at) => _samples.Add(new RemoteWriteSample(labels, value, at));

    public async Task WriteAsync(PrometheusServer prometheus, CancellationToken ct)
    {
        using var client = new HttpClient();
        // Per series in time order, in batches, as a remote-write client sends them.
        foreach (var batch in _samples.OrderBy(s => s.Time).Chunk(5000))
        {
            await RemoteWrite.SendAsync(client, prometheus.BaseAddress, batch, ct);
        }
    }
}

/// <summary>
/// The outcome rows of the operator experiments (fair share after a scale-out, relief after each fix, "some
/// fix relieved") and the starting-state check, each run by the script's own code (through the harness)
/// against a real Prometheus holding series shaped like the platform's: one PASS and one FAIL story per row.
/// </summary>
public sealed class HarnessOutcomeTests
{
    private const int Seconds = 140;

    private static async Task<PrometheusServer> PrometheusAsync()
    {
        if (ToolLocator.Find("prometheus") is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "prometheus is not installed (Debian package 'prometheus').");
            Assert.Fail("prometheus is not installed (Debian package 'prometheus').");
        }
        return await PrometheusServer.StartAsync(new PrometheusServerOptions { EnableRemoteWriteReceiver = true }, TestContext.Current.CancellationToken);
    }

    private static Dictionary<string, string> Environment(PrometheusServer prometheus, PlatformTimeline timeline, params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            ["PROMETHEUS_URL"] = prometheus.BaseAddress.ToString().TrimEnd('/'),
            ["HARNESS_DATA"] = $"{{\"startMs\":{timeline.Start.ToUnixTimeMilliseconds()}}}",
            ["NAMESPACE"] = PlatformTimeline.Namespace, ["AUTOSCALER"] = PlatformTimeline.Autoscaler, ["TESTID"] = PlatformTimeline.TestId,
            ["VERDICT_SETTLE_SECONDS"] = "0", ["VERDICT_RATE_WINDOW_SECONDS"] = "10",
        };
        foreach (var (key, value) in more) env[key] = value;
        return env;
    }

    private static string[] Row(HarnessRun run, string check) =>
        run.VerdictRows().SingleOrDefault(r => r[0] == check) ?? throw new InvalidOperationException($"no row '{check}':\n{run}");

    /// <summary>cpu-scaleout: one pod, two more up at +40 s; whether they take load and relieve it is the story's choice.</summary>
    private static async Task<HarnessRun> CpuScaleoutAsync(bool newPodsTakeLoad)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusAsync();
        var timeline = new PlatformTimeline(DateTimeOffset.UtcNow.AddSeconds(-Seconds - 10), Seconds);
        Func<int, double> delay = t => t < 45 || !newPodsTakeLoad ? 0.5 : 0.005;
        timeline.Pod("platform-api-a", 0, _ => 2, delay)
            .Pod("platform-api-b", 40, _ => 2, t => newPodsTakeLoad ? 0.005 : 0.0)
            .Pod("platform-api-c", 40, _ => 2, t => newPodsTakeLoad ? 0.005 : 0.0)
            .Requests("platform-api-a", "cpu", "sync", t => t < 40 || !newPodsTakeLoad ? 100 : 34)
            .ClientP95("ramp", t => t < 45 || !newPodsTakeLoad ? 2.0 : 0.1)
            .Operator(t => t < 35 ? 1 : 3, _ => 1, (35, "replicas", "scale_up", "none", "CpuSaturation"));
        if (newPodsTakeLoad)
        {
            timeline.Requests("platform-api-b", "cpu", "sync", t => t < 41 ? 0 : 33).Requests("platform-api-c", "cpu", "sync", t => t < 41 ? 0 : 33);
        }
        await timeline.WriteAsync(prometheus, ct);
        return await Harness.RunAsync("cpu-scaleout.js", "teardown", Environment(prometheus, timeline, ("RAMP", "60s"), ("HOLD", "70s")));
    }

    [Fact]
    public async Task Cpu_scaleout_passes_when_the_new_pods_take_their_share_and_relieve_the_load()
    {
        var run = await CpuScaleoutAsync(newPodsTakeLoad: true);
        var share = Row(run, "after the scale-out every pod served its share");
        Assert.True(share[3] == "PASS", run.ToString());
        Assert.StartsWith("3 pods: ", share[2], StringComparison.Ordinal);
        Assert.Equal("PASS", Row(run, "worst pod's scheduling delay came down (or stayed healthy) after the scale-out")[3]);
        Assert.Equal("PASS", Row(run, "client p95 (ramp) came down (or stayed healthy) after the scale-out")[3]);
        Assert.Equal("PASS", Row(run, "some fix relieved delay or latency")[3]);
    }

    [Fact]
    public async Task Cpu_scaleout_fails_when_the_new_pods_serve_nothing_and_nothing_is_relieved()
    {
        var run = await CpuScaleoutAsync(newPodsTakeLoad: false);
        var share = Row(run, "after the scale-out every pod served its share");
        Assert.True(share[3] == "FAIL", run.ToString());
        Assert.Contains("100%, 0%, 0%", share[2], StringComparison.Ordinal);
        Assert.Equal("FAIL", Row(run, "worst pod's scheduling delay came down (or stayed healthy) after the scale-out")[3]);
        Assert.Equal("FAIL", Row(run, "client p95 (ramp) came down (or stayed healthy) after the scale-out")[3]);
        Assert.Equal("FAIL", Row(run, "some fix relieved delay or latency")[3]);
        Assert.Contains("server-side verdict: FAIL", run.Output, StringComparison.Ordinal);
    }

    /// <summary>starvation-burst: min threads raised at +25 s (5 s into the burst); relief is the story's choice.</summary>
    private static async Task<HarnessRun> StarvationAsync(bool relieved)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusAsync();
        var timeline = new PlatformTimeline(DateTimeOffset.UtcNow.AddSeconds(-Seconds - 10), Seconds);
        timeline.Pod("platform-api-a", 0, t => t < 25 ? 1 : 100, t => t < 20 ? 0.001 : t < 35 || !relieved ? 0.5 : 0.002)
            .Requests("platform-api-a", "io-delay", "sync", _ => 50)
            .ClientP95("burst", t => t < 20 ? 0.1 : t < 35 || !relieved ? 1.5 : 0.12)
            .Operator(_ => 1, t => t < 24 ? 1 : 100, (24, "min_threads", "none", "raise", "ThreadPoolStarvation"));
        await timeline.WriteAsync(prometheus, ct);
        return await Harness.RunAsync("starvation-burst.js", "teardown", Environment(prometheus, timeline, ("IDLE", "20s"), ("BURST", "90s"), ("AFTER", "20s")));
    }

    [Fact]
    public async Task Starvation_burst_passes_when_the_raise_brings_delay_and_latency_down()
    {
        var run = await StarvationAsync(relieved: true);
        Assert.True(Row(run, "worst pod's scheduling delay came down (or stayed healthy) after the min threads raise")[3] == "PASS", run.ToString());
        Assert.Equal("PASS", Row(run, "client p95 (burst) came down (or stayed healthy) after the min threads raise")[3]);
        Assert.Equal("PASS", Row(run, "some fix relieved delay or latency")[3]);
    }

    [Fact]
    public async Task Starvation_burst_fails_when_the_raise_relieves_nothing()
    {
        var run = await StarvationAsync(relieved: false);
        Assert.True(Row(run, "worst pod's scheduling delay came down (or stayed healthy) after the min threads raise")[3] == "FAIL", run.ToString());
        Assert.Equal("FAIL", Row(run, "client p95 (burst) came down (or stayed healthy) after the min threads raise")[3]);
        Assert.Equal("FAIL", Row(run, "some fix relieved delay or latency")[3]);
    }

    [Fact]
    public async Task Without_k6_series_the_latency_row_says_what_is_missing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusAsync();
        var timeline = new PlatformTimeline(DateTimeOffset.UtcNow.AddSeconds(-Seconds - 10), Seconds);
        timeline.Pod("platform-api-a", 0, t => t < 25 ? 1 : 100, t => t < 20 ? 0.001 : t < 35 ? 0.5 : 0.002)
            .Operator(_ => 1, t => t < 24 ? 1 : 100, (24, "min_threads", "none", "raise", "ThreadPoolStarvation"));
        await timeline.WriteAsync(prometheus, ct);
        var run = await Harness.RunAsync("starvation-burst.js", "teardown", Environment(prometheus, timeline, ("IDLE", "20s"), ("BURST", "90s"), ("AFTER", "20s")));

        var latency = Row(run, "client p95 (burst) came down (or stayed healthy) after the min threads raise");
        Assert.Equal("UNKNOWN", latency[3]);
        Assert.Contains("no data: no k6 p95 for scenario burst", latency[2], StringComparison.Ordinal);
        Assert.Contains("experimental-prometheus-rw", latency[2], StringComparison.Ordinal);
        // The delay row still judged, so one fix relieved something.
        Assert.Equal("PASS", Row(run, "some fix relieved delay or latency")[3]);
    }

    [Fact]
    public async Task Mixed_judges_each_fix_on_its_own_and_one_relief_is_enough_for_the_relief_row()
    {
        // Min threads raised at +25 s relieve the blocked requests; two pods up at +40 s take their share, but the
        // CPU scenario's p95 stays where it was.
        var ct = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusAsync();
        var timeline = new PlatformTimeline(DateTimeOffset.UtcNow.AddSeconds(-Seconds - 10), Seconds);
        timeline.Pod("platform-api-a", 0, t => t < 25 ? 1 : 100, t => t < 30 ? 0.5 : 0.003)
            .Pod("platform-api-b", 40, t => 100, _ => 0.002).Pod("platform-api-c", 40, t => 100, _ => 0.002)
            .Requests("platform-api-a", "cpu", "sync", t => t < 40 ? 90 : 30)
            .Requests("platform-api-b", "cpu", "sync", t => t < 41 ? 0 : 30).Requests("platform-api-c", "cpu", "sync", t => t < 41 ? 0 : 30)
            .ClientP95("blocking", t => t < 30 ? 1.2 : 0.11)
            .ClientP95("cpu", _ => 0.9)
            .Operator(t => t < 35 ? 1 : 3, t => t < 24 ? 1 : 100,
                (24, "min_threads", "none", "raise", "ThreadPoolStarvation"), (35, "replicas", "scale_up", "none", "CpuSaturation"));
        await timeline.WriteAsync(prometheus, ct);
        var run = await Harness.RunAsync("mixed.js", "teardown", Environment(prometheus, timeline, ("DURATION", "130s"), ("RAMP", "30s")));

        Assert.True(Row(run, "after the scale-out every pod served its share")[3] == "PASS", run.ToString());
        Assert.Equal("PASS", Row(run, "client p95 (blocking) came down (or stayed healthy) after the min threads raise")[3]);
        Assert.Equal("FAIL", Row(run, "client p95 (cpu) came down (or stayed healthy) after the scale-out")[3]);
        Assert.Equal("PASS", Row(run, "some fix relieved delay or latency")[3]);
        Assert.Contains("server-side verdict: FAIL", run.Output, StringComparison.Ordinal);
    }

    /// <summary>setup() of an operator experiment against the operator's series; BASE_URL has no API, so a clean start ends in the API probe.</summary>
    private static async Task<HarnessRun> SetupAsync(string script, bool clean, params (string Key, string Value)[] more)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var prometheus = await PrometheusAsync();
        var timeline = new PlatformTimeline(DateTimeOffset.UtcNow.AddSeconds(-Seconds), Seconds);
        timeline.Pod("platform-api-a", 0, _ => 1, _ => 0.001);
        if (clean)
        {
            timeline.Operator(_ => 1, _ => 1);
        }
        else
        {
            timeline.Pod("platform-api-b", 60, _ => 200, _ => 0.001).Pod("platform-api-c", 60, _ => 200, _ => 0.001)
                .Operator(t => t < 60 ? 1 : 3, t => t < 50 ? 1 : 200, (50, "min_threads", "none", "raise", "ThreadPoolStarvation"), (60, "replicas", "scale_up", "none", "CpuSaturation"));
        }
        await timeline.WriteAsync(prometheus, ct);
        var env = Environment(prometheus, timeline, [("BASE_URL", $"http://127.0.0.1:{FreeTcpPort.Next()}"), .. more]);
        return await Harness.RunAsync(script, "iterate", env);
    }

    [Theory]
    [InlineData("starvation-burst.js")]
    [InlineData("cpu-scaleout.js")]
    [InlineData("mixed.js")]
    public async Task Setup_stops_at_once_when_the_last_run_left_pods_threads_and_recent_decisions(string script)
    {
        var started = DateTimeOffset.UtcNow;
        var run = await SetupAsync(script, clean: false);
        Assert.True(run.ExitCode == 108, run.ToString());
        var message = run.Result["aborted"]!.GetValue<string>();
        Assert.StartsWith("not at the starting state: ", message, StringComparison.Ordinal);
        Assert.Contains("the operator reports 3 replicas, not 1", message, StringComparison.Ordinal);
        Assert.Contains("wants 200 min threads, above the baseline 1", message, StringComparison.Ordinal);
        Assert.Contains("acted 2 times in the last 300 s", message, StringComparison.Ordinal);
        Assert.Contains("infra/loadtest.sh --reset", message, StringComparison.Ordinal);
        Assert.Contains("locally restart the API and the operator", message, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Requests, r => r!["tags"]!["workload"]!.GetValue<string>() != "verdict");
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(30), "stopped at once, not after a wait");
    }

    [Fact]
    public async Task Setup_waits_START_STATE_WAIT_SECONDS_for_the_start_then_stops()
    {
        var started = DateTimeOffset.UtcNow;
        var run = await SetupAsync("mixed.js", clean: false, ("START_STATE_WAIT_SECONDS", "6"));
        Assert.True(run.ExitCode == 108, run.ToString());
        Assert.Contains("waiting for the starting state: ", run.Output, StringComparison.Ordinal);
        Assert.StartsWith("not at the starting state: ", run.Result["aborted"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(5), "waited");
    }

    [Fact]
    public async Task Setup_goes_on_from_a_clean_start()
    {
        var run = await SetupAsync("cpu-scaleout.js", clean: true);
        // Past the starting-state check, setup() reaches the API probe (no API here).
        Assert.True(run.ExitCode == 108, run.ToString());
        Assert.StartsWith("API not ready at ", run.Result["aborted"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
