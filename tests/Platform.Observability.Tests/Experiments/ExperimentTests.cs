using Platform.Observability.Tests.Report;
using Platform.Testing;

namespace Platform.Observability.Tests.Experiments;

/// <summary>
/// starvation-burst, cpu-scaleout and mixed, each run end to end on the local cluster (real API processes,
/// the operator in cluster mode, a real Prometheus; only the Kubernetes API is the fake) and judged by its
/// script's own server-side verdict: every row evaluates (no UNKNOWN, no "no data"), the verdict passes,
/// and the report page opens in Chromium with points in every plot and series. `loadtests/local.sh NAME`
/// runs one of them; the artifacts (k6.log, summary.json, report.html, report.png) stay in
/// artifacts/test-results/experiments/TESTID.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class ExperimentTests
{
    [Fact]
    [Trait("Category", "Slow")]
    [Trait("Experiment", "starvation-burst")]
    public Task Starvation_burst_raises_min_threads_and_passes_its_verdict() => RunAndCheckAsync("starvation-burst");

    [Fact]
    [Trait("Category", "Slow")]
    [Trait("Experiment", "cpu-scaleout")]
    public Task Cpu_scaleout_adds_pods_and_passes_its_verdict() => RunAndCheckAsync("cpu-scaleout");

    [Fact]
    [Trait("Category", "Slow")]
    [Trait("Experiment", "mixed")]
    public Task Mixed_gets_each_fix_for_its_own_cause_and_passes_its_verdict() => RunAndCheckAsync("mixed");

    private static async Task RunAndCheckAsync(string name)
    {
        ReportTools.RequirePrometheus();
        ReportTools.RequireNode();
        ReportTools.RequireNodeModules();
        ReportTools.RequireChromium();
        var output = TestContext.Current.TestOutputHelper;
        var artifacts = Environment.GetEnvironmentVariable("LOCAL_EXPERIMENT_ARTIFACTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(ReportTools.ArtifactsFolder, "experiments");

        var result = await LocalExperiment.RunAsync(ExperimentPlans.For(name), artifacts, line => output?.WriteLine(line), TestContext.Current.CancellationToken);

        output?.WriteLine(result.VerdictTable);
        var verdict = result.VerdictJson;
        var rows = verdict["rows"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            var observed = row["observed"]!.GetValue<string>();
            Assert.True(row["result"]!.GetValue<string>() != "UNKNOWN" && !observed.StartsWith("no data", StringComparison.Ordinal),
                $"{row["check"]}: {row["result"]} ({observed})");
        });
        Assert.True(verdict["overall"]!.GetValue<string>() == "PASS", result.VerdictTable);
        Assert.Empty(result.ClusterErrors);

        var page = result.Page;
        Assert.Empty(page["consoleErrors"]!.AsArray());
        Assert.True(page["noDataCount"]!.GetValue<int>() == 0, $"series without data: {page["noData"]}");
        var charts = page["charts"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(page["plots"]!.AsArray().Count, charts.Count);
        Assert.NotEmpty(charts);
        foreach (var chart in charts)
        {
            Assert.True(chart["points"]!.GetValue<int>() > 10, $"{chart["id"]}: {chart["points"]} points in time");
            var series = chart["series"]!.AsArray();
            Assert.NotEmpty(series);
            Assert.All(series, s => Assert.True(s!["nonNull"]!.GetValue<int>() > 1, $"{chart["id"]} / {s["label"]}: {s["nonNull"]} points"));
            Assert.True(chart["markers"]!.GetValue<int>() > 0, $"{chart["id"]} has no decision marker");
        }
        Assert.Equal(rows.Count, page["verdictRows"]!.AsArray().Count);
        Assert.True(new FileInfo(Path.Combine(result.Folder, "report.png")).Length > 50_000, "the screenshot is missing or blank");
    }
}
