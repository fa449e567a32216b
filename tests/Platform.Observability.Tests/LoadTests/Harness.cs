using System.Text.Json.Nodes;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>What loadtests/harness/run.mjs recorded: exit code, the script's output, and its HARNESS-RESULT.</summary>
public sealed record HarnessRun(int ExitCode, string Output, JsonObject Result)
{
    public JsonArray Checks => Result["checks"]!.AsArray();

    public JsonArray Requests => Result["requests"]!.AsArray();

    public IReadOnlyList<double> Samples(string metric) =>
        Result["metrics"]?[metric]?.AsArray().Select(v => v!.GetValue<double>()).ToList() ?? [];

    /// <summary>The rows of the verdict table: check, expected, observed, result.</summary>
    public IReadOnlyList<string[]> VerdictRows() =>
        [.. Output.Split('\n')
            .SkipWhile(l => !l.StartsWith("check ", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => !l.StartsWith("server-side verdict:", StringComparison.Ordinal))
            .Select(l => l.Split(" | ").Select(c => c.Trim()).ToArray())];

    /// <summary>The verdict's VERDICT-JSON line: title, overall, prometheus, testid and the rows.</summary>
    public JsonObject VerdictJson()
    {
        const string prefix = "VERDICT-JSON ";
        var line = Output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return JsonNode.Parse(line[prefix.Length..])!.AsObject();
    }

    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Result.ToJsonString()}";
}

/// <summary>
/// Runs the scripts' functions with node and stand-ins for the k6 modules (loadtests/harness), since k6 itself
/// is not installed here. Not k6: no executors or thresholds; but the iterations, setup() and the verdict run.
/// </summary>
public static class Harness
{
    private const string ResultPrefix = "HARNESS-RESULT ";

    public static string RequireNode()
    {
        var node = ToolLocator.Find("node");
        if (node is null)
        {
            const string missing = "node is not on PATH (Debian package 'nodejs', installed with npm)";
            if (ToolLocator.IsCi) Assert.Fail(missing);
            Assert.Skip(missing);
        }
        return node;
    }

    public static async Task<HarnessRun> RunAsync(string script, string mode, IReadOnlyDictionary<string, string> environment, params string[] scenarios)
    {
        var node = RequireNode();
        var (exitCode, output) = await ChildProcess.RunAsync(
            node,
            [Path.Combine(K6Scripts.Folder, "harness", "run.mjs"), Path.Combine(K6Scripts.Folder, script), mode, .. scenarios],
            new Dictionary<string, string>(environment),
            timeout: TimeSpan.FromMinutes(3),
            workingDirectory: K6Scripts.Folder,
            cancellationToken: TestContext.Current.CancellationToken);
        var lines = output.Split('\n');
        var result = lines.LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no {ResultPrefix.Trim()} line; exit {exitCode}:\n{output}");
        var rest = string.Join('\n', lines.Where(l => !l.StartsWith(ResultPrefix, StringComparison.Ordinal)));
        return new HarnessRun(exitCode, rest, JsonNode.Parse(result[ResultPrefix.Length..])!.AsObject());
    }
}
