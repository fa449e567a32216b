using System.Diagnostics.Metrics;

namespace Platform.Metrics;

/// <summary>Chooses and searches histogram bucket boundaries.</summary>
internal static class HistogramBuckets
{
    /// <summary>Defaults for durations in seconds (the ASP.NET Core / OpenTelemetry HTTP duration advice).</summary>
    public static IReadOnlyList<double> DefaultSeconds { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>OpenTelemetry's default explicit bucket boundaries, for any other unit.</summary>
    public static IReadOnlyList<double> Default { get; } =
        [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>Configured boundaries first, then the instrument's advice, then defaults by unit.</summary>
    public static double[] Resolve(Instrument instrument, IReadOnlyDictionary<string, double[]> configured)
    {
        if (configured.TryGetValue(instrument.Name, out var explicitBounds))
        {
            return Normalize(explicitBounds);
        }

        var advised = GetAdvice(instrument);
        if (advised is not null)
        {
            return Normalize(advised);
        }

        return Normalize(instrument.Unit == "s" ? DefaultSeconds : Default);
    }

    /// <summary>
    /// Sorted, distinct, finite bounds: +Inf is always written as the last bucket, so an explicit one
    /// (or NaN) would only produce an invalid duplicate.
    /// </summary>
    public static double[] Normalize(IEnumerable<double> bounds) =>
        bounds.Where(double.IsFinite).Distinct().Order().ToArray();

    /// <summary>Index of the first bucket whose upper bound is &gt;= value (bounds are inclusive, as "le" says).</summary>
    public static int FindBucket(double[] bounds, double value)
    {
        var index = Array.BinarySearch(bounds, value);
        return index >= 0 ? index : ~index;
    }

    private static IEnumerable<double>? GetAdvice(Instrument instrument) => instrument switch
    {
        Instrument<byte> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        Instrument<short> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        Instrument<int> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        Instrument<long> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        Instrument<float> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        Instrument<double> i => i.Advice?.HistogramBucketBoundaries,
        Instrument<decimal> i => i.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b),
        _ => null,
    };
}
