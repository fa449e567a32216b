using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.Report;

/// <summary>
/// loadtests/report: the generator (report.mjs), the page inspector that drives Chromium (inspect-page.mjs),
/// and the tools they need. A missing tool skips the test on a developer's machine and fails it in CI.
/// </summary>
public static partial class ReportTools
{
    public static string Folder => RepositoryPaths.Combine("loadtests", "report");

    /// <summary>Where scripts/test.sh collects test artifacts.</summary>
    public static string ArtifactsFolder => RepositoryPaths.Combine("artifacts", "test-results");

    public static string RequireNode() => Require(ToolLocator.Find("node"), "node is not on PATH (Debian package 'nodejs', installed with npm)");

    /// <summary>The generator's node packages (npm ci in loadtests/report, done by scripts/install-tools.sh).</summary>
    public static void RequireNodeModules()
    {
        foreach (var package in new[] { "uplot", "playwright-core" })
        {
            Require(File.Exists(Path.Combine(Folder, "node_modules", package, "package.json")) ? package : null,
                "loadtests/report/node_modules is missing: run `bash scripts/install-tools.sh` (npm ci in loadtests/report)");
        }
    }

    /// <summary>Debian's Chromium: the browser the page is tested in (playwright never downloads one here).</summary>
    public static string RequireChromium() => Require(ToolLocator.Find("chromium"), "chromium is not installed (Debian package 'chromium')");

    public static string RequirePrometheus() => Require(ToolLocator.Find("prometheus"), "prometheus is not installed (Debian package 'prometheus')");

    /// <summary>Runs report.mjs with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> GenerateAsync(params string[] arguments) =>
        ChildProcess.RunAsync(RequireNode(), [Path.Combine(Folder, "report.mjs"), .. arguments],
            timeout: TimeSpan.FromMinutes(2), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Opens the page in Chromium (inspect-page.mjs), saves a screenshot and returns what it saw.</summary>
    public static async Task<JsonObject> InspectAsync(string report, string screenshot)
    {
        var chromium = RequireChromium();
        var (exitCode, output) = await ChildProcess.RunAsync(RequireNode(), [Path.Combine(Folder, "inspect-page.mjs"), report, screenshot, chromium],
            timeout: TimeSpan.FromMinutes(2), workingDirectory: Folder, cancellationToken: TestContext.Current.CancellationToken);
        const string prefix = "PAGE-RESULT ";
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"inspect-page.mjs printed no {prefix.Trim()}; exit {exitCode}:\n{output}");
        var result = JsonNode.Parse(line[prefix.Length..])!.AsObject();
        Assert.True(exitCode == 0 && result["error"] is null, $"inspect-page.mjs exit {exitCode}:\n{output}");
        return result;
    }

    /// <summary>The JSON the generator inlined in the page (#report-data).</summary>
    public static JsonObject PageData(string html)
    {
        var match = ReportData().Match(html);
        Assert.True(match.Success, "the page has no #report-data script");
        return JsonNode.Parse(match.Groups[1].Value)!.AsObject();
    }

    private static string Require(string? found, string missing)
    {
        if (found is null)
        {
            if (ToolLocator.IsCi) Assert.Fail($"{missing}; CI must provide it.");
            Assert.Skip(missing);
        }
        return found;
    }

    [GeneratedRegex("""<script type="application/json" id="report-data">(.*?)</script>""", RegexOptions.Singleline)]
    private static partial Regex ReportData();
}
