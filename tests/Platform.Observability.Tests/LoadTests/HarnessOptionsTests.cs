using System.Text.RegularExpressions;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>Each script's options as the script computes them (defaults and environment overrides), checked for what k6 would reject or silently ignore.</summary>
public sealed partial class HarnessOptionsTests
{
    private static readonly Dictionary<string, string> NoOverrides = [];

    public static IEnumerable<object[]> Scenarios() => K6Scripts.ScenarioNames();

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task The_options_are_consistent(string script)
    {
        var run = await Harness.RunAsync(script, "options", NoOverrides);
        Assert.True(run.ExitCode == 0, run.ToString());
        var options = run.Result["options"]!.AsObject();
        var exports = run.Result["exports"]!.AsArray().Select(e => e!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var scenarios = options["scenarios"]!.AsObject();
        Assert.NotEmpty(scenarios);
        Assert.Contains("setup", exports);
        Assert.Contains("teardown", exports);

        foreach (var (name, value) in scenarios)
        {
            var scenario = value!.AsObject();
            Assert.Matches("^[0-9A-Za-z_-]+$", name);
            Assert.Contains(scenario["executor"]!.GetValue<string>(), new[] { "constant-arrival-rate", "ramping-arrival-rate" });
            Assert.True(exports.Contains(scenario["exec"]!.GetValue<string>()), $"{script}: scenario {name} runs '{scenario["exec"]}', which is not exported");
            var preAllocated = scenario["preAllocatedVUs"]!.GetValue<int>();
            Assert.InRange(preAllocated, 1, scenario["maxVUs"]!.GetValue<int>());
            Assert.Equal("1s", scenario["timeUnit"]!.GetValue<string>());
            foreach (var key in new[] { "duration", "startTime", "gracefulStop" })
            {
                if (scenario[key] is { } duration) Assert.Matches("^[0-9]+s$", duration.GetValue<string>());
            }
        }

        var thresholds = options["thresholds"]!.AsObject();
        Assert.Equal("count==0", thresholds["verdict_failures"]![0]!.GetValue<string>());
        foreach (var (key, rules) in thresholds)
        {
            Assert.NotEmpty(rules!.AsArray());
            if (TaggedScenario().Match(key) is { Success: true } tagged)
            {
                Assert.True(scenarios.ContainsKey(tagged.Groups[1].Value), $"{script}: threshold '{key}' names no scenario of the script");
            }
        }
        var systemTags = options["systemTags"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        Assert.DoesNotContain("url", systemTags);
        Assert.Contains("scenario", systemTags);
        Assert.Contains("name", systemTags);
    }

    [Fact]
    public async Task Durations_and_rates_follow_the_environment()
    {
        var run = await Harness.RunAsync("sync-vs-async.js", "options",
            new Dictionary<string, string> { ["DURATION"] = "1m30s", ["GAP"] = "20s", ["RATE"] = "7", ["TESTID"] = "t-1" });
        Assert.True(run.ExitCode == 0, run.ToString());
        var options = run.Result["options"]!.AsObject();
        var sync = options["scenarios"]!["sync"]!.AsObject();
        Assert.Equal("90s", sync["duration"]!.GetValue<string>());
        Assert.Equal("110s", sync["startTime"]!.GetValue<string>());
        Assert.Equal(7, sync["rate"]!.GetValue<int>());
        Assert.Equal("t-1", options["tags"]!["testid"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_malformed_duration_stops_the_script_with_its_name()
    {
        var run = await Harness.RunAsync("fanout.js", "options", new Dictionary<string, string> { ["DURATION"] = "two minutes" });
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("DURATION=two minutes is not a duration", run.Result["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\{scenario:([^}]+)\}$")]
    private static partial Regex TaggedScenario();
}
