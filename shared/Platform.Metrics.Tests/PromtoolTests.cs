using System.Diagnostics;

namespace Platform.Metrics.Tests;

public sealed class PromtoolTests
{
    [Fact]
    public async Task Promtool_check_metrics_accepts_the_output_without_lint_problems()
    {
        var promtool = FindOnPath("promtool");
        if (promtool is null)
        {
            // CI must have promtool (Debian package "prometheus"); a developer machine may not.
            Assert.False(
                string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
                "promtool is not on PATH but CI=true: install the Debian package 'prometheus' in the CI setup.");
            Assert.Skip("promtool is not on PATH (Debian package 'prometheus').");
        }

        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        RealisticInstruments.Record(meter.Meter);
        var exposition = collector.Scrape();

        var (exitCode, output) = await RunAsync(promtool, ["check", "metrics"], exposition, TestContext.Current.CancellationToken);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\n--- exposition ---\n{exposition}");
    }

    [Fact]
    public async Task Promtool_reports_lint_problems_so_the_check_above_can_fail()
    {
        var promtool = FindOnPath("promtool");
        if (promtool is null)
        {
            Assert.Skip("promtool is not on PATH (Debian package 'prometheus').");
        }

        var (exitCode, output) = await RunAsync(
            promtool,
            ["check", "metrics"],
            "# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n",
            TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("_total", output, StringComparison.Ordinal);
    }

    private static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, string stdin, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteAsync(stdin.AsMemory(), ct);
        process.StandardInput.Close();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = ((await stdout) + (await stderr)).Trim();
        return (process.ExitCode, output);
    }
}
