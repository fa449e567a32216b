namespace Platform.Testing;

/// <summary>Folders of this repository, found from the test assembly's location (the folder holding Platform.sln).</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Platform.sln above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Where scripts/install-tools.sh puts helm3, helm4 and kubectl.</summary>
    public static string ToolsBin => Combine(".tools", "bin");

    /// <summary>A tool from .tools/bin, else from PATH; null when neither has it.</summary>
    public static string? FindTool(string name)
    {
        var local = Path.Combine(ToolsBin, name);
        return File.Exists(local) ? local : ToolLocator.Find(name);
    }
}
