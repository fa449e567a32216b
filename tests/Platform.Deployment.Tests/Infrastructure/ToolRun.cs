using Platform.Testing;

namespace Platform.Deployment.Tests.Infrastructure;

/// <summary>A finished command: its exit code, standard output alone, and standard error alone.</summary>
public sealed record ToolResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() =>
        $"`{Command}` exited {ExitCode}.\n--- stdout (last 4000 chars) ---\n{Tail(StandardOutput)}\n--- stderr ---\n{Tail(StandardError)}";

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}

/// <summary>
/// Runs a command through <see cref="ChildProcess.RunAsync"/> with its standard error sent to a file, so standard
/// output stays exactly what the command printed there (helm's YAML without its stderr notices).
/// </summary>
public static class ToolRun
{
    public static async Task<ToolResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var args = arguments.ToList();
        var stderrFile = Path.GetTempFileName();
        try
        {
            var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
            {
                ["PLATFORM_TEST_STDERR"] = stderrFile,
            };
            // sh keeps the child's stdout on the pipe and sends its stderr to the file; exec keeps the exit code.
            var (exitCode, output) = await ChildProcess.RunAsync(
                "/bin/sh",
                ["-c", "exec \"$0\" \"$@\" 2>\"$PLATFORM_TEST_STDERR\"", fileName, .. args],
                env,
                standardInput,
                timeout ?? TimeSpan.FromMinutes(3),
                workingDirectory ?? RepositoryPaths.Root,
                TestContext.Current.CancellationToken);
            var stderr = await File.ReadAllTextAsync(stderrFile, TestContext.Current.CancellationToken);
            return new ToolResult($"{Path.GetFileName(fileName)} {string.Join(' ', args)}", exitCode, output, stderr);
        }
        finally
        {
            File.Delete(stderrFile);
        }
    }
}
