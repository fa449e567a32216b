using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Metrics;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Telemetry;
using Platform.Testing;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The k6 Job's selectors against the operator's real series: the chart's rendered NAMESPACE and AUTOSCALER,
/// the operator's own <see cref="OperatorMetrics"/> keyed the way its controller keys an autoscaler, served by
/// the repository's exporter and scraped by a real Prometheus with the namespace label a cluster scrape adds,
/// and mixed.js's verdict (its real PromQL, through the node harness) querying them.
/// </summary>
public sealed class LoadtestSelectorTests
{
    private static readonly string[] OperatorRows = ["min threads raised for starvation", "replicas added for saturation"];

    [Fact]
    public async Task The_verdicts_operator_selectors_match_the_series_the_operator_exports()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = RequiredTool.Find("node");
        if (ToolLocator.Find("prometheus") is null) RequiredTool.Find("prometheus");

        var rendering = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, "--values", PlatformChart.ValuesFile("loadtest-job"));
        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        var job = Assert.Single(rendering.OfKind("Job"));
        var env = KubeObject.Env(job.Containers.Single());
        string Value(string name) => env[name]["value"]!.GetValue<string>();
        var autoscaler = Assert.Single(rendering.OfKind(ThreadPoolAutoscaler.KindName));

        // The key the controller gives this autoscaler (ClusterController: ResourceWatcher.KeyOf), which labels every series.
        var key = ResourceWatcher<ThreadPoolAutoscaler>.KeyOf(PlatformChart.Namespace, autoscaler.Name);
        await using var operatorMetrics = await OperatorMetricsServer.StartAsync(key, ct);
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Targets = [new ScrapeTarget("operator", operatorMetrics.Address, Labels: new Dictionary<string, string> { ["namespace"] = PlatformChart.Namespace })],
            ScrapeInterval = TimeSpan.FromSeconds(1),
        }, ct);
        await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), ct);
        // The verdict counts decisions that grew inside its window: make them after the window opened.
        var start = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        operatorMetrics.Decide();
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var series = (await prometheus.QueryAsync("platform_operator_decisions_total", ct)).RawJson;

        var matched = await VerdictAsync(node, prometheus, start, Value("NAMESPACE"), Value("AUTOSCALER"), ct);
        foreach (var check in OperatorRows)
        {
            var row = matched.Single(r => r[0] == check);
            Assert.True(row[3] == "PASS", $"'{check}' with the chart's AUTOSCALER={Value("AUTOSCALER")}: {string.Join(" | ", row)}; Prometheus holds {series}");
        }

        // The same verdict with the bare resource name (the selector the chart used to pass) finds nothing: the
        // test tells a mismatch apart.
        var bare = await VerdictAsync(node, prometheus, start, Value("NAMESPACE"), autoscaler.Name, ct);
        foreach (var check in OperatorRows) Assert.Equal("UNKNOWN", bare.Single(r => r[0] == check)[3]);
    }

    [Theory]
    [InlineData("1", "1", "300")]
    [InlineData("2", "8", "120")]
    public async Task The_Job_passes_the_starting_state_the_autoscaler_it_renders_starts_from(string min, string baseline, string window)
    {
        var rendering = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, "--values", PlatformChart.ValuesFile("loadtest-job"),
            "--set", $"operator.autoscaler.replicas.min={min}", "--set", $"operator.autoscaler.minThreads.baseline={baseline}",
            "--set", $"operator.autoscaler.behavior.scaleDownStabilizationWindowSeconds={window}");
        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        var env = KubeObject.Env(Assert.Single(rendering.OfKind("Job")).Containers.Single());
        var spec = Assert.Single(rendering.OfKind(ThreadPoolAutoscaler.KindName)).Spec!;

        Assert.Equal(spec["replicas"]!["min"]!.ToString(), env["START_REPLICAS"]["value"]!.GetValue<string>());
        Assert.Equal(spec["minThreads"]!["baseline"]!.ToString(), env["START_MIN_THREADS"]["value"]!.GetValue<string>());
        Assert.Equal(spec["behavior"]!["scaleDownStabilizationWindowSeconds"]!.ToString(), env["SCALE_DOWN_WINDOW_SECONDS"]["value"]!.GetValue<string>());
        Assert.Equal(min, env["START_REPLICAS"]["value"]!.GetValue<string>());
    }

    private static async Task<IReadOnlyList<string[]>> VerdictAsync(
        string node, PrometheusServer prometheus, DateTimeOffset start, string ns, string autoscaler, CancellationToken ct)
    {
        var folder = RepositoryPaths.Combine("loadtests");
        var (exitCode, output) = await ChildProcess.RunAsync(node,
            [Path.Combine(folder, "harness", "run.mjs"), Path.Combine(folder, "mixed.js"), "teardown"],
            new Dictionary<string, string>
            {
                ["PROMETHEUS_URL"] = prometheus.BaseAddress.ToString().TrimEnd('/'),
                ["HARNESS_DATA"] = $"{{\"startMs\":{start.ToUnixTimeMilliseconds()}}}",
                ["NAMESPACE"] = ns, ["AUTOSCALER"] = autoscaler,
                ["VERDICT_SETTLE_SECONDS"] = "0", ["VERDICT_RATE_WINDOW_SECONDS"] = "3", ["DURATION"] = "5s", ["RAMP"] = "2s",
                ["TESTID"] = "selector",
            },
            timeout: TimeSpan.FromMinutes(2), workingDirectory: folder, cancellationToken: ct);
        Assert.True(exitCode == 0, output);
        return [.. output.Split('\n')
            .SkipWhile(l => !l.StartsWith("check ", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => !l.StartsWith("server-side verdict:", StringComparison.Ordinal))
            .Select(l => l.Split(" | ").Select(c => c.Trim()).ToArray())];
    }

    /// <summary>The operator's instruments behind the exporter it serves them with, on loopback.</summary>
    private sealed class OperatorMetricsServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private readonly string _autoscaler;

        private OperatorMetricsServer(WebApplication app, string address, string autoscaler)
        {
            _app = app;
            Address = address;
            _autoscaler = autoscaler;
        }

        public string Address { get; }

        public static async Task<OperatorMetricsServer> StartAsync(string autoscaler, CancellationToken ct)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var address = $"127.0.0.1:{FreeTcpPort.Next()}";
            builder.WebHost.UseUrls($"http://{address}");
            builder.Services.AddSingleton<OperatorMetrics>();
            builder.Services.AddPrometheusExporter(exporter => exporter.Meters.Add(OperatorMetrics.MeterName));
            var app = builder.Build();
            app.MapPrometheusScrapingEndpoint("/metrics");
            await app.StartAsync(ct);
            return new OperatorMetricsServer(app, address, autoscaler);
        }

        /// <summary>One decision of each loop, as the controller records them: a raise for starvation, a scale-up for saturation.</summary>
        public void Decide()
        {
            var metrics = _app.Services.GetRequiredService<OperatorMetrics>();
            var signals = DecisionSignals.None;
            metrics.RecordDecision(_autoscaler, OperatorMetrics.MinThreadsLoop,
                new Decision(Regime.Starvation, ReplicaAction.None, MinThreadsAction.Raise, 1, 200, DecisionReasons.Starvation, "raise", signals, []));
            metrics.RecordDecision(_autoscaler, OperatorMetrics.ReplicaLoop,
                new Decision(Regime.Saturation, ReplicaAction.ScaleUp, MinThreadsAction.None, 3, 200, DecisionReasons.Saturation, "scale up", signals, []));
            metrics.SetReplicaState(_autoscaler, 1, 3);
            metrics.SetMinThreadsState(_autoscaler, 200, 1);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
