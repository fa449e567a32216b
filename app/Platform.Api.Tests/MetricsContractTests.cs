using System.Reflection;
using Platform.Api.Telemetry;
using Platform.Api.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>docs/metrics-contract.md against what /metrics really serves, and promtool on that output.</summary>
public sealed class MetricsContractTests(MetricsContractTests.ServedMetrics served) : IClassFixture<MetricsContractTests.ServedMetrics>
{
    private readonly string _exposition = served.Exposition;
    private readonly MetricsText _metrics = served.Metrics;

    /// <summary>One API process, one request of every kind, one scrape: shared by the tests below.</summary>
    public sealed class ServedMetrics : IAsyncLifetime
    {
        private ApiProcess _api = null!;

        public string Exposition { get; private set; } = "";

        public MetricsText Metrics { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            _api = await ApiProcess.StartAsync();
            await Traffic.ExerciseEverythingAsync(_api, CancellationToken.None);
            // Let the probe record a few delays.
            await Task.Delay(500);
            Exposition = await _api.Client.GetStringAsync("/metrics");
            Metrics = MetricsText.Parse(Exposition);
        }

        public async ValueTask DisposeAsync() => await _api.DisposeAsync();
    }

    [Fact]
    public void The_contract_document_lists_metrics()
    {
        Assert.True(MetricsContract.Metrics.Count >= 25, $"parsed {MetricsContract.Metrics.Count} rows");
        Assert.Equal(4, MetricsContract.LintExempt.Count);
    }

    public static TheoryData<string> ServedRows() =>
        new(MetricsContract.Metrics.Where(m => m.Present is "always" or "traffic").Select(m => m.Name));

    [Theory]
    [MemberData(nameof(ServedRows))]
    public void Each_contract_metric_is_served_with_its_type_and_labels(string name)
    {
        var row = MetricsContract.Metrics.Single(m => m.Name == name);

        Assert.True(_metrics.Types.TryGetValue(name, out var type), $"{name} is not served");
        Assert.Equal(row.Type, type);
        var samples = _metrics.Family(name).ToList();
        Assert.NotEmpty(samples);
        var observed = samples.SelectMany(s => s.Labels.Keys).Where(k => k != "le").ToHashSet();
        Assert.Subset(observed, row.Labels.ToHashSet());
        Assert.Superset(observed, row.Labels.Union(row.OptionalLabels).ToHashSet());
    }

    [Fact]
    public void Every_served_platform_metric_is_in_the_contract()
    {
        var documented = MetricsContract.Metrics.Select(m => m.Name).ToHashSet();

        var undocumented = _metrics.Types.Keys.Where(n => n.StartsWith("platform_", StringComparison.Ordinal) && !documented.Contains(n)).ToList();

        Assert.Empty(undocumented);
    }

    [Fact]
    public void Every_instrument_the_code_defines_is_in_the_contract()
    {
        var instruments = MetricsContract.Metrics.Select(m => m.Instrument).ToHashSet();
        var defined = typeof(MetricNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(MetricNames.Meter))
            .Select(f => (string)f.GetRawConstantValue()!);

        Assert.All(defined, name => Assert.Contains(name, instruments));
    }

    [Fact]
    public void Http_duration_is_labelled_by_route_template_never_by_raw_path()
    {
        var routes = _metrics.Samples.Where(s => s.Name == "http_server_request_duration_seconds_count")
            .Select(s => s.Labels.GetValueOrDefault("http_route")).Where(r => r is not null).ToHashSet();

        Assert.Contains("/io/delay/async", routes);
        Assert.Contains("/io/delay/{mode}", routes);
        Assert.DoesNotContain("/io/delay/nope", routes);
        Assert.All(routes, r => Assert.DoesNotContain("?", r));
    }

    [Fact]
    public void Workload_requests_are_counted_by_workload_mode_and_outcome()
    {
        Assert.Equal(1, _metrics.Sum("platform_workload_requests_total", l => l["workload"] == "io-delay" && l["mode"] == "sync" && l["outcome"] == "success"));
        Assert.Equal(1, _metrics.Sum("platform_workload_requests_total", l => l["workload"] == "io-delay" && l["mode"] == "async" && l["outcome"] == "error"));
        Assert.Equal(1, _metrics.Sum("platform_workload_requests_total", l => l["workload"] == "db" && l["mode"] == "task-run"));
        Assert.Equal(1, _metrics.Sum("platform_workload_requests_total", l => l["workload"] == "db-blob" && l["mode"] == "sync-over-async" && l["outcome"] == "success"));
    }

    [Fact]
    public void The_scheduling_delay_probe_records_into_its_histogram()
    {
        Assert.True(_metrics.Single("platform_thread_pool_scheduling_delay_seconds_count") >= 2);
        Assert.Equal(8, _metrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker"));
    }

    [Fact]
    public async Task Promtool_accepts_the_exposition_with_only_the_documented_lint_exemptions()
    {
        var promtool = ToolLocator.Find("promtool");
        if (promtool is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "promtool is not installed (Debian package 'prometheus').");
            Assert.Fail("promtool is required in CI (Debian package 'prometheus').");
        }

        var (exitCode, output) = await ChildProcess.RunAsync(promtool!, ["check", "metrics"], standardInput: _exposition,
            cancellationToken: TestContext.Current.CancellationToken);

        var findings = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unexpected = findings.Where(f => !MetricsContract.LintExempt.Any(name =>
            f == $"{name} non-histogram and non-summary metrics should not have \"_count\" suffix")).ToList();
        Assert.Empty(unexpected);
        Assert.True(exitCode == 0 || (exitCode == 3 && findings.Length > 0), $"promtool exit code {exitCode}: {output}");
    }
}
