using System.Diagnostics;

namespace Platform.Testing;

/// <summary>Nearest-rank percentiles of a set of latencies, computed by sorting all of them (no sampling).</summary>
public sealed record LatencySummary(int Count, TimeSpan P50, TimeSpan P95, TimeSpan P99, TimeSpan Max)
{
    public static readonly LatencySummary Empty = new(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    /// <param name="stopwatchTicks">Latencies in <see cref="Stopwatch"/> ticks; sorted in place.</param>
    public static LatencySummary FromStopwatchTicks(long[] stopwatchTicks)
    {
        ArgumentNullException.ThrowIfNull(stopwatchTicks);
        if (stopwatchTicks.Length == 0)
        {
            return Empty;
        }

        Array.Sort(stopwatchTicks);
        return new LatencySummary(
            stopwatchTicks.Length,
            Percentile(stopwatchTicks, 50),
            Percentile(stopwatchTicks, 95),
            Percentile(stopwatchTicks, 99),
            ToTimeSpan(stopwatchTicks[^1]));
    }

    /// <summary>Nearest rank: the smallest value with at least p % of the values at or below it.</summary>
    private static TimeSpan Percentile(long[] sorted, double percent)
    {
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return ToTimeSpan(sorted[Math.Clamp(rank, 1, sorted.Length) - 1]);
    }

    private static TimeSpan ToTimeSpan(long stopwatchTicks) =>
        TimeSpan.FromSeconds((double)stopwatchTicks / Stopwatch.Frequency);
}
