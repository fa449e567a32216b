using System.Globalization;

namespace Platform.Api.Telemetry;

/// <summary>
/// The CPU the process may use. Environment.ProcessorCount rounds a fractional quota up (a 500m limit
/// reads as 1), so CPU utilisation computed against it would be understated; the cgroup quota is exact.
/// </summary>
public static class CpuLimit
{
    public static double Detect(string cgroupRoot = "/sys/fs/cgroup")
    {
        return ReadCgroupV2(Path.Combine(cgroupRoot, "cpu.max"))
            ?? ReadCgroupV1(Path.Combine(cgroupRoot, "cpu", "cpu.cfs_quota_us"), Path.Combine(cgroupRoot, "cpu", "cpu.cfs_period_us"))
            ?? Environment.ProcessorCount;
    }

    internal static double? ReadCgroupV2(string cpuMaxPath)
    {
        // Format: "<quota|max> <period>".
        var parts = TryRead(cpuMaxPath)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: 2 } || parts[0] == "max")
        {
            return null;
        }
        return Ratio(parts[0], parts[1]);
    }

    internal static double? ReadCgroupV1(string quotaPath, string periodPath)
    {
        var quota = TryRead(quotaPath);
        var period = TryRead(periodPath);
        return quota is null || period is null || quota.StartsWith('-') ? null : Ratio(quota, period);
    }

    private static double? Ratio(string quota, string period)
    {
        if (!double.TryParse(quota, NumberStyles.Float, CultureInfo.InvariantCulture, out var q)
            || !double.TryParse(period, NumberStyles.Float, CultureInfo.InvariantCulture, out var p)
            || q <= 0 || p <= 0)
        {
            return null;
        }
        return Math.Min(q / p, Environment.ProcessorCount);
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
