using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>A real API (SQLite) for the iteration tests.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public ApiProcess Api { get; private set; } = null!;

    public string BaseUrl => Api.BaseAddress.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync() => Api = await ApiProcess.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
    }
}

/// <summary>
/// setup() and one iteration of every scenario of every script, against a real API: the checks pass, no
/// request fails, and every request carries the tags the dashboards and thresholds filter on.
/// </summary>
public sealed class HarnessIterationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static IEnumerable<object[]> Scenarios() => K6Scripts.ScenarioNames();

    /// <summary>Small work per request, so that one iteration of each scenario takes a moment.</summary>
    private Dictionary<string, string> Environment() => new()
    {
        ["BASE_URL"] = fixture.BaseUrl,
        ["WAIT_MS"] = "20",
        ["ITERATIONS"] = "100000",
        ["CALLS"] = "2",
        // No Prometheus here: the starting-state check (HarnessStartStateTests) would only add its failed probe.
        ["START_STATE_CHECK"] = "false",
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task One_iteration_of_each_scenario_passes_its_checks(string script)
    {
        var run = await Harness.RunAsync(script, "iterate", Environment());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotEmpty(run.Checks);
        var failed = run.Checks.Where(c => !c!["ok"]!.GetValue<bool>()).Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.True(failed.Count == 0, $"{script}: failed checks: {string.Join(", ", failed)}");

        var scenarios = run.Result["options"]!["scenarios"]!.AsObject().Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var request in run.Requests)
        {
            var url = request!["url"]!.GetValue<string>();
            Assert.False(request["failed"]!.GetValue<bool>(), $"{script}: {url} failed with status {request["status"]}");
            var tags = request["tags"]!.AsObject();
            foreach (var tag in new[] { "workload", "mode", "scenario", "name" })
            {
                Assert.True(tags[tag] is not null && tags[tag]!.GetValue<string>().Length > 0, $"{script}: {url} has no '{tag}' tag");
            }
            var name = tags["name"]!.GetValue<string>();
            Assert.DoesNotContain("?", name, StringComparison.Ordinal);
            var scenario = request["scenario"]?.GetValue<string>();
            Assert.Equal(scenario ?? "setup-teardown", tags["scenario"]!.GetValue<string>());
            if (scenario is not null) Assert.Contains(scenario, scenarios);
        }
    }

    [Fact]
    public async Task Smoke_calls_every_route_of_the_readme_table_but_admin()
    {
        var run = await Harness.RunAsync("smoke.js", "iterate", Environment());
        Assert.True(run.ExitCode == 0, run.ToString());
        var names = run.Requests.Select(r => r!["tags"]!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        foreach (var (_, path, modes) in K6Scripts.ReadmeRoutes().Where(r => !r.Path.StartsWith("/admin", StringComparison.Ordinal)))
        {
            var expected = modes.Count == 0 || !path.Contains("{mode}", StringComparison.Ordinal)
                ? new[] { path }
                : modes.Select(m => path.Replace("{mode}", m, StringComparison.Ordinal));
            foreach (var route in expected)
            {
                Assert.True(names.Contains(route), $"smoke.js does not call {route}");
            }
        }
    }

    [Fact]
    public async Task Db_reads_the_provider_and_checks_what_async_means_for_it()
    {
        var run = await Harness.RunAsync("db.js", "iterate", Environment(), "async");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("sqlite", run.Result["setupData"]!["provider"]!.GetValue<string>());
        Assert.Contains(run.Checks, c => c!["name"]!.GetValue<string>() == "sqlite: async completed synchronously (blocked the thread)" && c["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Db_reads_the_whole_blob_and_tags_the_blob_phases_apart()
    {
        var env = Environment();
        env["BLOB_KB"] = "64";
        var run = await Harness.RunAsync("db.js", "iterate", env, "blob-async");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Checks, c => c!["name"]!.GetValue<string>() == "blob: the whole value was read" && c["ok"]!.GetValue<bool>());
        Assert.Contains(run.Checks, c => c!["name"]!.GetValue<string>() == "sqlite: async blob read completed synchronously" && c["ok"]!.GetValue<bool>());
        var blob = Assert.Single(run.Requests, r => r!["tags"]!["name"]!.GetValue<string>() == "/db/blob/async");
        Assert.Equal("db-blob", blob!["tags"]!["workload"]!.GetValue<string>());
        Assert.Equal("blob-async", blob["tags"]!["scenario"]!.GetValue<string>());
    }

    [Fact]
    public async Task Setup_stops_the_run_when_the_api_is_not_there()
    {
        var env = Environment();
        env["BASE_URL"] = $"http://127.0.0.1:{FreeTcpPort.Next()}";
        var run = await Harness.RunAsync("sync-vs-async.js", "iterate", env);
        Assert.Equal(108, run.ExitCode);
        var reason = run.Result["aborted"]!.GetValue<string>();
        Assert.Contains("API not ready at", reason, StringComparison.Ordinal);
        Assert.Contains("BASE_URL", reason, StringComparison.Ordinal);
        Assert.Single(run.Requests);
    }
}
