using Platform.Testing;

namespace Platform.Deployment.Tests.Infrastructure;

/// <summary>
/// The external tools these tests run. A missing tool skips the test on a developer's machine and fails it in
/// CI (CI=true), where .ci/run and scripts/install-tools.sh must have installed it.
/// </summary>
public static class RequiredTool
{
    public const string Helm3 = "helm3";
    public const string Helm4 = "helm4";

    /// <summary>Every Helm major version the chart must work with.</summary>
    public static readonly IReadOnlyList<string> HelmVersions = [Helm3, Helm4];

    /// <summary>Full path of <paramref name="name"/> (from .tools/bin, else PATH); skips or fails when it is missing.</summary>
    public static string Find(string name)
    {
        if (RepositoryPaths.FindTool(name) is { } path)
        {
            return path;
        }
        Missing($"{name} is not installed ({Hint(name)}).");
        return "";
    }

    /// <summary>The node packages of charts/tests (npm ci, done by scripts/install-tools.sh); skips or fails when absent.</summary>
    public static string ChartTestsFolder()
    {
        var folder = RepositoryPaths.Combine("charts", "tests");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "kubernetes-models")))
        {
            Missing("charts/tests/node_modules is missing: run `bash scripts/install-tools.sh` (npm ci in charts/tests).");
        }
        return folder;
    }

    private static void Missing(string message)
    {
        if (ToolLocator.IsCi)
        {
            Assert.Fail($"{message} CI must provide it.");
        }
        Assert.Skip(message);
    }

    private static string Hint(string name) => name switch
    {
        Helm3 or Helm4 or "kubectl" => "bash scripts/install-tools.sh puts it in .tools/bin",
        "node" or "npm" => "Debian package 'npm'",
        "shellcheck" => "Debian package 'shellcheck'",
        "yamllint" => "Debian package 'yamllint'",
        _ => "put it on PATH",
    };
}
