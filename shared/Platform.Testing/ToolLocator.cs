using System.Globalization;

namespace Platform.Testing;

/// <summary>Finds the external tools the fixtures run.</summary>
public static class ToolLocator
{
    private const string PostgresLibRoot = "/usr/lib/postgresql";

    // Debian keeps the PostgreSQL server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
    private static readonly HashSet<string> PostgresServerTools = new(StringComparer.Ordinal) { "initdb", "pg_ctl", "postgres" };

    private static readonly Dictionary<string, string> DebianPackages = new(StringComparer.Ordinal)
    {
        ["prometheus"] = "prometheus",
        ["promtool"] = "prometheus",
        ["initdb"] = "postgresql",
        ["pg_ctl"] = "postgresql",
        ["postgres"] = "postgresql",
        ["psql"] = "postgresql-client",
        ["runuser"] = "util-linux",
    };

    /// <summary>True when the environment variable CI is "true" (any case).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Full path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        if (tool.Contains('/'))
        {
            return IsExecutableFile(tool) ? Path.GetFullPath(tool) : null;
        }

        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (PostgresServerTools.Contains(tool))
        {
            directories = directories.Concat(PostgresBinDirectories());
        }

        return directories.Select(directory => Path.Combine(directory, tool)).FirstOrDefault(IsExecutableFile);
    }

    /// <summary>Full path of <paramref name="tool"/>; throws <see cref="ToolMissingException"/> when it is not installed.</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new ToolMissingException(tool, DebianPackages.GetValueOrDefault(tool));

    private static IEnumerable<string> PostgresBinDirectories()
    {
        if (!Directory.Exists(PostgresLibRoot))
        {
            return [];
        }

        return Directory.GetDirectories(PostgresLibRoot)
            .OrderByDescending(directory => double.TryParse(Path.GetFileName(directory), NumberStyles.Float, CultureInfo.InvariantCulture, out var version) ? version : -1)
            .Select(directory => Path.Combine(directory, "bin"));
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
