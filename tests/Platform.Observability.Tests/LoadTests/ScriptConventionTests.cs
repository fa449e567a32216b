using System.Text.RegularExpressions;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>Static checks over every k6 script and lib module: what only running k6 would otherwise reveal.</summary>
public sealed partial class ScriptConventionTests
{
    private static readonly HashSet<string> AllowedModules = new(StringComparer.Ordinal) { "k6", "k6/http", "k6/metrics", "k6/execution", "k6/data" };

    private static readonly HashSet<string> ArrivalRateExecutors = new(StringComparer.Ordinal) { "constant-arrival-rate", "ramping-arrival-rate" };

    private static readonly HashSet<string> OtherExecutors = new(StringComparer.Ordinal)
    {
        "shared-iterations", "per-vu-iterations", "constant-vus", "ramping-vus", "externally-controlled",
    };

    private static readonly string[] Dashboards = ["Platform / Overview", "Platform / Thread pool", "Platform / Operator"];

    /// <summary>k6's built-in metrics a threshold may name, plus the verdict's own counter.</summary>
    private static readonly HashSet<string> ThresholdMetrics = new(StringComparer.Ordinal)
    {
        "http_req_duration", "http_req_failed", "http_reqs", "http_req_waiting", "http_req_connecting", "http_req_blocked",
        "http_req_sending", "http_req_receiving", "http_req_tls_handshaking", "checks", "dropped_iterations", "iterations",
        "iteration_duration", "vus", "vus_max", "data_sent", "data_received", "verdict_failures",
    };

    public static IEnumerable<object[]> AllFiles() => K6Scripts.AllFileNames();

    public static IEnumerable<object[]> Scenarios() => K6Scripts.ScenarioNames();

    [Fact]
    public void There_are_the_seven_experiments_and_the_four_lib_modules()
    {
        Assert.Equal(
            ["cpu-scaleout.js", "db.js", "fanout.js", "mixed.js", "smoke.js", "starvation-burst.js", "sync-vs-async.js"],
            K6Scripts.Scenarios.Select(Path.GetFileName));
        Assert.Equal(["config.js", "profiles.js", "requests.js", "verdict.js"], K6Scripts.Library.Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Imports_are_stable_k6_modules_or_relative_lib_files(string file)
    {
        var source = K6Scripts.Load(file);
        var imports = Import().Matches(source.Code).Select(m => source.LiteralAt(m.Groups[1].Value).Value).ToList();
        Assert.NotEmpty(imports);
        var folder = Path.GetDirectoryName(source.Path)!;
        foreach (var module in imports)
        {
            if (module.StartsWith("./", StringComparison.Ordinal))
            {
                // Relative to the importing file: ./lib/x.js from a scenario, ./x.js inside lib/, as the ConfigMap mounts them.
                var expected = file.StartsWith("lib", StringComparison.Ordinal) ? "./" : "./lib/";
                Assert.True(module.StartsWith(expected, StringComparison.Ordinal) && module.EndsWith(".js", StringComparison.Ordinal),
                    $"{file}: import '{module}' should be {expected}<name>.js");
                Assert.True(File.Exists(Path.Combine(folder, module)), $"{file}: import '{module}' does not exist");
            }
            else
            {
                Assert.True(AllowedModules.Contains(module),
                    $"{file}: import '{module}' is not one of {string.Join(", ", AllowedModules)} (no remote jslib, extensions or experimental modules)");
            }
        }
        Assert.DoesNotMatch(@"\brequire\s*\(|\bimport\s*\(", source.Code);
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_executor_is_an_open_model_arrival_rate(string file)
    {
        var source = K6Scripts.Load(file);
        foreach (Match executor in Executor().Matches(source.Code))
        {
            var name = source.LiteralAt(executor.Groups[1].Value).Value;
            Assert.True(ArrivalRateExecutors.Contains(name), $"{file}: executor '{name}' is not an arrival-rate executor");
        }
        Assert.DoesNotContain(source.Literals, l => OtherExecutors.Contains(l.Value));
        // The shortcut options (vus, iterations) would create a closed-model default scenario.
        Assert.DoesNotMatch(@"\b(vus|iterations)\s*:", source.Code);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_scenario_is_built_from_the_arrival_rate_profiles_and_runs_an_exported_function(string file)
    {
        var source = K6Scripts.Load(file);
        Assert.Matches(@"export const options = buildOptions\(", source.Code);
        Assert.Matches(@"\b(constantRate|rampingRate|once)\(", source.Code);
        var execs = Exec().Matches(source.Code).Select(m => source.LiteralAt(m.Groups[1].Value).Value).ToList();
        execs.AddRange(OnceExec().Matches(source.Code).Select(m => source.LiteralAt(m.Groups[1].Value).Value));
        // db.js names its scenarios' functions in a table, const EXEC = { mode: 'function', ... }.
        foreach (Match table in ExecTable().Matches(source.Code))
        {
            execs.AddRange(Placeholder().Matches(table.Groups[1].Value).Select(m => source.LiteralAt(m.Groups[1].Value).Value)
                .Where(v => FunctionName().IsMatch(v)));
        }
        Assert.NotEmpty(execs);
        foreach (var exec in execs.Distinct())
        {
            Assert.True(ExportedFunction(source, exec), $"{file}: scenario exec '{exec}' is not an exported function");
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_script_has_a_header_naming_a_dashboard_and_what_to_expect(string file)
    {
        var header = K6Scripts.Load(file).HeaderComment;
        Assert.True(header.Length > 200, $"{file}: the header comment is missing or too short");
        Assert.True(Dashboards.Any(d => header.Contains(d, StringComparison.Ordinal)), $"{file}: the header names none of {string.Join(", ", Dashboards)}");
        Assert.Contains("expect", header, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith($"// {file}:", header, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_script_has_thresholds_on_its_own_scenarios(string file)
    {
        var source = K6Scripts.Load(file);
        var scenarios = ScenarioKey().Matches(source.Code)
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : source.LiteralAt(m.Groups[2].Value).Value)
            .ToHashSet(StringComparer.Ordinal);
        var thresholdScenarios = ThresholdsFor().Matches(source.Code).Select(m => source.LiteralAt(m.Groups[1].Value).Value)
            .Concat(source.Literals.Select(l => TaggedThreshold().Match(l.Value)).Where(m => m.Success).Select(m => m.Groups[2].Value))
            .ToList();
        var dynamic = Regex.IsMatch(source.Code, @"scenarioThresholds\(\w+,");
        Assert.True(thresholdScenarios.Count > 0 || dynamic, $"{file}: no thresholds on any scenario");
        foreach (var scenario in thresholdScenarios)
        {
            // A threshold on a scenario that does not exist would never see a sample and pass for nothing.
            Assert.True(scenarios.Contains(scenario), $"{file}: a threshold names scenario '{scenario}', not one of {string.Join(", ", scenarios)}");
        }
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Thresholds_name_k6_metrics(string file)
    {
        var source = K6Scripts.Load(file);
        var named = source.Literals.Select(l => TaggedThreshold().Match(l.Value)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Concat(ThresholdAdd().Matches(source.Code).Select(m => source.LiteralAt(m.Groups[1].Value).Value));
        foreach (var metric in named)
        {
            Assert.True(ThresholdMetrics.Contains(metric), $"{file}: threshold on '{metric}', which k6 does not have");
        }
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_http_call_passes_tags(string file)
    {
        var source = K6Scripts.Load(file);
        foreach (Match call in HttpCall().Matches(source.Code))
        {
            var arguments = Arguments(source.Code, call.Index + call.Length - 1);
            Assert.True(arguments.Contains("requestParams(", StringComparison.Ordinal) || Regex.IsMatch(arguments, @"\btags\s*:"),
                $"{file}: http.{call.Groups[1].Value}({arguments}) passes no tags (use requestParams)");
        }
    }

    [Fact]
    public void The_tag_helper_sets_workload_mode_scenario_and_name()
    {
        var config = K6Scripts.Load(Path.Combine("lib", "config.js"));
        Assert.Matches(@"params\.tags = Object\.assign\(\{ workload, mode, scenario: scenarioName\(\), name \}", config.Code);
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void No_syntax_newer_than_the_k6_0_47_engine_needs(string file)
    {
        // Optional chaining and nullish coalescing type-check fine but are the newest syntax here; keep them out.
        var code = K6Scripts.Load(file).Code;
        Assert.DoesNotMatch(@"\?\.(?!\d)|\?\?", code);
    }

    [Fact]
    public void Every_script_is_in_the_loadtests_readme_table_and_run_sh_usage()
    {
        var readme = File.ReadAllText(Path.Combine(K6Scripts.Folder, "README.md"));
        var runSh = File.ReadAllText(Path.Combine(K6Scripts.Folder, "run.sh"));
        foreach (var script in K6Scripts.Scenarios.Select(Path.GetFileName))
        {
            Assert.Contains($"| `{script}` |", readme, StringComparison.Ordinal);
            Assert.Matches($@"SCENARIO .*\b{Regex.Escape(Path.GetFileNameWithoutExtension(script!))}\b", runSh);
        }
    }

    private static bool ExportedFunction(JsSource source, string name) =>
        Regex.IsMatch(source.Code, $@"export function {Regex.Escape(name)}\(");

    /// <summary>The text between the parenthesis at <paramref name="open"/> and its match.</summary>
    private static string Arguments(string code, int open)
    {
        var depth = 0;
        for (var i = open; i < code.Length; i++)
        {
            if (code[i] == '(') depth++;
            else if (code[i] == ')' && --depth == 0) return code[(open + 1)..i];
        }
        throw new FormatException("unbalanced parentheses");
    }

    [GeneratedRegex(@"\bimport\s+(?:[\w*{}\s,]+\s+from\s+)?""§(\d+)§""")]
    private static partial Regex Import();

    [GeneratedRegex(@"\bexecutor\s*:\s*""§(\d+)§""")]
    private static partial Regex Executor();

    [GeneratedRegex(@"\bexec\s*:\s*""§(\d+)§""")]
    private static partial Regex Exec();

    [GeneratedRegex(@"\bonce\(""§(\d+)§""\)")]
    private static partial Regex OnceExec();

    [GeneratedRegex(@"\bconst EXEC = \{([^}]*)\}")]
    private static partial Regex ExecTable();

    [GeneratedRegex(@":\s*""§(\d+)§""")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^[a-z][A-Za-z]+$")]
    private static partial Regex FunctionName();

    [GeneratedRegex(@"(?:\b([A-Za-z_]\w*)|""§(\d+)§"")\s*:\s*(?:constantRate|rampingRate|once)\(")]
    private static partial Regex ScenarioKey();

    [GeneratedRegex(@"scenarioThresholds\(""§(\d+)§""")]
    private static partial Regex ThresholdsFor();

    [GeneratedRegex(@"^([a-z_]+)\{scenario:([^}]+)\}$")]
    private static partial Regex TaggedThreshold();

    [GeneratedRegex(@"\badd\(""§(\d+)§"",")]
    private static partial Regex ThresholdAdd();

    [GeneratedRegex(@"\bhttp\.(get|post|put|patch|del|head|options|request|asyncRequest|batch)\s*\(")]
    private static partial Regex HttpCall();
}
