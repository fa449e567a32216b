using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// The routes, modes and parameters the scripts use are the API's: README's route table (the contract the
/// scripts, dashboards and chart share), and a running API that answers each one.
/// </summary>
public sealed partial class RouteContractTests
{
    /// <summary>Paths of Prometheus's own HTTP API, which the verdict calls; not API routes.</summary>
    private static readonly string[] PrometheusPaths = ["/api/v1/", "/-/"];

    public static IEnumerable<object[]> AllFiles() => K6Scripts.AllFileNames();

    /// <summary>The WORKLOADS table of lib/requests.js: key, route template, workload label and modes.</summary>
    public static IReadOnlyList<(string Key, string Route, string Workload, IReadOnlyList<string> Modes)> Workloads()
    {
        var source = K6Scripts.Load(Path.Combine("lib", "requests.js"));
        return [.. WorkloadRow().Matches(source.Code).Select(m => (
            m.Groups[1].Value,
            source.LiteralAt(m.Groups[2].Value).Value,
            source.LiteralAt(m.Groups[3].Value).Value,
            (IReadOnlyList<string>)[.. Placeholder().Matches(m.Groups[4].Value).Select(p => source.LiteralAt(p.Groups[1].Value).Value)]))];
    }

    [Fact]
    public void The_readme_route_table_is_readable()
    {
        var routes = K6Scripts.ReadmeRoutes();
        Assert.Contains(routes, r => r.Method == "GET" && r.Path == "/io/delay/{mode}" && r.Modes.Contains("sync-over-async"));
        Assert.Contains(routes, r => r.Method == "POST" && r.Path == "/orders");
        Assert.True(routes.Count >= 12, $"only {routes.Count} routes read from README.md");
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_route_in_a_script_is_in_the_readme_route_table(string file)
    {
        var readme = K6Scripts.ReadmeRoutes().Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        var source = K6Scripts.Load(file);
        foreach (var literal in source.Literals.Where(l => RouteLike().IsMatch(l.Value)))
        {
            if (PrometheusPaths.Any(p => literal.Value.StartsWith(p, StringComparison.Ordinal))) continue;
            Assert.True(readme.Contains(literal.Value), $"{file}:{literal.Line}: route '{literal.Value}' is not in README.md's route table");
        }
    }

    [Fact]
    public void The_workload_table_matches_the_readme_modes_and_the_metric_labels()
    {
        var workloads = Workloads();
        Assert.Equal(["ioDelay", "ioHttp", "db", "dbBlob", "cpu", "fanout"], workloads.Select(w => w.Key));
        var readme = K6Scripts.ReadmeRoutes();
        var contractRow = File.ReadLines(RepositoryPaths.Combine("docs", "metrics-contract.md"))
            .Single(l => l.StartsWith("| `platform_workload_requests_total`", StringComparison.Ordinal));
        foreach (var (key, route, workload, modes) in workloads)
        {
            var row = Assert.Single(readme, r => r.Method == "GET" && r.Path == route);
            Assert.Equal(row.Modes.Order(StringComparer.Ordinal), modes.Order(StringComparer.Ordinal));
            Assert.True(contractRow.Contains(workload, StringComparison.Ordinal), $"{key}: workload label '{workload}' is not in the contract's list");
        }
    }

    [Fact]
    public void Every_query_parameter_the_helpers_send_is_documented_for_its_route()
    {
        var source = K6Scripts.Load(Path.Combine("lib", "requests.js"));
        var workloads = Workloads().ToDictionary(w => w.Key, w => w.Route, StringComparer.Ordinal);
        var readmeRows = File.ReadLines(RepositoryPaths.Combine("README.md")).Where(l => l.StartsWith("| `GET /", StringComparison.Ordinal)).ToList();
        var calls = ModeCall().Matches(source.Code).ToList();
        Assert.Equal(6, calls.Count);
        foreach (Match call in calls)
        {
            var route = workloads[source.LiteralAt(call.Groups[1].Value).Value];
            var row = Assert.Single(readmeRows, l => l.StartsWith($"| `GET {route}`", StringComparison.Ordinal));
            var documented = row.Split('|')[3];
            foreach (var parameter in call.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.True(documented.Contains($"`{parameter}`", StringComparison.Ordinal), $"{route}: parameter '{parameter}' is not documented in README.md");
            }
        }
    }

    [Fact]
    public async Task Every_route_and_mode_the_scripts_can_name_answers_on_a_running_api()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        var client = api.Client;
        var small = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ioDelay"] = "ms=1", ["ioHttp"] = "ms=1", ["db"] = "ms=1&rows=1", ["dbBlob"] = "kb=1", ["cpu"] = "iterations=1000", ["fanout"] = "calls=2&ms=1",
        };
        foreach (var (key, route, workload, modes) in Workloads())
        {
            foreach (var mode in modes)
            {
                var path = route.Replace("{mode}", mode, StringComparison.Ordinal);
                using var response = await client.GetAsync($"{path}?{small[key]}", cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
                using var json = JsonDocument.Parse(body);
                Assert.Equal(workload, json.RootElement.GetProperty("workload").GetString());
                Assert.Equal(mode, json.RootElement.GetProperty("mode").GetString());
            }
        }

        foreach (var path in new[] { "/orders/count", "/downstream/delay?ms=1", "/healthz/ready", "/healthz/live", "/metrics" })
        {
            using var response = await client.GetAsync(path, cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}");
        }
        var order = new { id = Guid.NewGuid(), item = "route-contract", quantity = 1 };
        using (var created = await client.PostAsJsonAsync("/orders", order, cancel))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var retried = await client.PostAsJsonAsync("/orders", order, cancel))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }
        using var read = await client.GetAsync($"/orders/{order.id}", cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [GeneratedRegex(@"^/[a-z{][A-Za-z0-9/{}._-]*$")]
    private static partial Regex RouteLike();

    [GeneratedRegex(@"\b(\w+):\s*\{\s*route:\s*""§(\d+)§"",\s*workload:\s*""§(\d+)§"",\s*modes:\s*\[([^\]]*)\]")]
    private static partial Regex WorkloadRow();

    [GeneratedRegex(@"""§(\d+)§""")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"getMode\(""§(\d+)§"",\s*mode,\s*\{([^}]*)\}")]
    private static partial Regex ModeCall();
}
