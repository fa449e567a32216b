using System.Runtime.InteropServices;

namespace Platform.Api.Benchmarks;

/// <summary>What the figures were measured on; they mean little without it.</summary>
internal sealed record MachineInfo(int ProcessorCount, string? CpuModel, string Os, string DotNet, DateTimeOffset StartedAt, string? LoadAverageAtStart)
{
    public static MachineInfo Capture() => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DateTimeOffset.UtcNow,
        LoadAverage());

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg; null where there is none.</summary>
    public static string? LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? string.Join(" / ", fields.Take(3)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadCpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .Where(line => line.StartsWith("model name", StringComparison.Ordinal))
                .Select(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
                .FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
