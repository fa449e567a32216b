namespace Platform.Testing;

/// <summary>An external tool a fixture needs is not installed.</summary>
public sealed class ToolMissingException : Exception
{
    public ToolMissingException(string tool, string? debianPackage)
        : base(debianPackage is null
            ? $"Required tool '{tool}' was not found."
            : $"Required tool '{tool}' was not found; install the Debian package '{debianPackage}' (apt-get install {debianPackage}).")
    {
        Tool = tool;
        DebianPackage = debianPackage;
    }

    public string Tool { get; }

    public string? DebianPackage { get; }
}
