using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// k6 is not installed anywhere the tests run, so the scripts are type-checked instead: TypeScript over the
/// JavaScript (checkJs), once against the latest k6 types and once against the k6 v0.47 types.
/// </summary>
public sealed class TypeCheckTests
{
    private const string Latest = "tsconfig.json";
    private const string V047 = "tsconfig.k6-0.47.json";
    private static readonly TimeSpan TscTimeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(Latest)]
    [InlineData(V047)]
    public async Task Every_script_type_checks(string config)
    {
        var (exitCode, output) = await Tsc(["-p", Path.Combine(K6Scripts.Folder, config)]);
        Assert.True(exitCode == 0, $"tsc -p loadtests/{config} exited {exitCode}:\n{output}");
    }

    [Theory]
    [InlineData(Latest, "node_modules/@types/k6/", "node_modules/k6-types-0.47/")]
    [InlineData(V047, "node_modules/k6-types-0.47/", "node_modules/@types/k6/")]
    public async Task Each_config_reads_only_its_own_k6_types(string config, string used, string unused)
    {
        var (exitCode, output) = await Tsc(["-p", Path.Combine(K6Scripts.Folder, config), "--listFiles"]);
        Assert.True(exitCode == 0, output);
        var files = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(files, f => f.Contains(used + "http", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Contains(unused, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_api_newer_than_k6_0_47_fails_only_the_0_47_check()
    {
        // exec.test.fail() exists in the latest types but not in k6 v0.47.
        const string probe = "import exec from 'k6/execution';\nexport default function () { exec.test.fail('newer than v0.47'); }\n";
        var latest = await TypeCheckProbe(Latest, probe);
        var v047 = await TypeCheckProbe(V047, probe);
        Assert.True(latest.ExitCode == 0, latest.Output);
        Assert.NotEqual(0, v047.ExitCode);
        Assert.Contains("Property 'fail' does not exist", v047.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Latest)]
    [InlineData(V047)]
    public async Task A_type_error_fails_the_check(string config)
    {
        const string probe = "import http from 'k6/http';\nexport default function () { http.get(42); }\n";
        var result = await TypeCheckProbe(config, probe);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("TS2345", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Latest)]
    [InlineData(V047)]
    public async Task A_mode_the_api_does_not_have_is_a_type_error(string config)
    {
        var requests = Path.Combine(K6Scripts.Folder, "lib", "requests.js").Replace('\\', '/');
        var probe = $"import {{ ioDelay, cpu }} from '{requests}';\nexport default function () {{ ioDelay('sync', 1); cpu('async', 1); }}\n";
        var result = await TypeCheckProbe(config, probe);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'\"async\"' is not assignable to parameter of type '\"sync\" | \"task-run\"'", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("'\"sync\"' is not assignable", result.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> Tsc(IEnumerable<string> arguments)
    {
        var (node, tsc) = K6Scripts.RequireTypeScript();
        return await ChildProcess.RunAsync(node, [tsc, .. arguments], timeout: TscTimeout, workingDirectory: K6Scripts.Folder,
            cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>Type-checks one scratch file with a config that extends <paramref name="config"/>, outside the repository.</summary>
    private static async Task<(int ExitCode, string Output)> TypeCheckProbe(string config, string source)
    {
        K6Scripts.RequireTypeScript();
        var scratch = Directory.CreateTempSubdirectory("k6-typecheck-probe-").FullName;
        try
        {
            var probe = Path.Combine(scratch, "probe.js");
            await File.WriteAllTextAsync(probe, source, TestContext.Current.CancellationToken);
            var tsconfig = Path.Combine(scratch, "tsconfig.json");
            var json = new System.Text.Json.Nodes.JsonObject
            {
                ["extends"] = Path.Combine(K6Scripts.Folder, config),
                ["include"] = new System.Text.Json.Nodes.JsonArray(),
                ["files"] = new System.Text.Json.Nodes.JsonArray(probe, Path.Combine(K6Scripts.Folder, "types", "globals.d.ts")),
            };
            await File.WriteAllTextAsync(tsconfig, json.ToJsonString(), TestContext.Current.CancellationToken);
            return await Tsc(["-p", tsconfig]);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
