using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>The k6 scenarios under loadtests/: the scripts, their shared lib/, and the tools that check them.</summary>
public static partial class K6Scripts
{
    public static string Folder => RepositoryPaths.Combine("loadtests");

    /// <summary>The experiments: every .js file at the top of loadtests/.</summary>
    public static IReadOnlyList<string> Scenarios { get; } =
        [.. Directory.GetFiles(Folder, "*.js").OrderBy(p => p, StringComparer.Ordinal)];

    /// <summary>The shared modules under loadtests/lib/.</summary>
    public static IReadOnlyList<string> Library { get; } =
        [.. Directory.GetFiles(Path.Combine(Folder, "lib"), "*.js").OrderBy(p => p, StringComparer.Ordinal)];

    public static IEnumerable<string> AllFiles => Scenarios.Concat(Library);

    public static string Relative(string path) => Path.GetRelativePath(RepositoryPaths.Root, path);

    public static IEnumerable<object[]> ScenarioNames() => Scenarios.Select(p => new object[] { Path.GetFileName(p) });

    public static IEnumerable<object[]> AllFileNames() => AllFiles.Select(p => new object[] { Path.GetRelativePath(Folder, p) });

    public static JsSource Load(string relativeToFolder) => JsSource.Load(Path.Combine(Folder, relativeToFolder));

    /// <summary>
    /// node and the pinned TypeScript compiler (loadtests/node_modules, installed by scripts/install-tools.sh).
    /// Outside CI a missing piece skips the test; in CI (CI=true) it fails, since CI installs both.
    /// </summary>
    public static (string Node, string Tsc) RequireTypeScript()
    {
        var node = ToolLocator.Find("node");
        var tsc = Path.Combine(Folder, "node_modules", "typescript", "bin", "tsc");
        string? missing = node is null ? "node is not on PATH (Debian package 'nodejs', installed with npm)"
            : !File.Exists(tsc) ? "loadtests/node_modules is missing: run scripts/install-tools.sh (it runs npm ci in loadtests/)"
            : null;
        if (missing is not null)
        {
            if (ToolLocator.IsCi) Assert.Fail(missing);
            Assert.Skip(missing);
        }
        return (node!, tsc);
    }

    /// <summary>Routes of README.md's "The API" table: method and path, e.g. ("GET", "/io/delay/{mode}"), with their modes.</summary>
    public static IReadOnlyList<(string Method, string Path, IReadOnlyList<string> Modes)> ReadmeRoutes()
    {
        var routes = new List<(string, string, IReadOnlyList<string>)>();
        var inTable = false;
        foreach (var line in File.ReadLines(RepositoryPaths.Combine("README.md")))
        {
            if (line.StartsWith("| Route | Modes |", StringComparison.Ordinal))
            {
                inTable = true;
                continue;
            }
            if (!inTable) continue;
            if (!line.StartsWith('|')) break;
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            var modes = Code().Matches(cells[2]).Select(m => m.Groups[1].Value).ToList();
            foreach (Match route in ReadmeRoute().Matches(cells[1]))
            {
                routes.Add((route.Groups[1].Value, route.Groups[2].Value, modes));
            }
        }
        return routes;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex("`(GET|POST|PUT|DELETE) (/[^`]*)`")]
    private static partial Regex ReadmeRoute();
}
