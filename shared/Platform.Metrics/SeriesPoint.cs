namespace Platform.Metrics;

/// <summary>A scrape-time copy of one series, detached from the live state so rendering needs no locks.</summary>
internal sealed class SeriesPoint
{
    private SeriesPoint(string labels) => Labels = labels;

    public string Labels { get; }

    /// <summary>Counter or gauge value; the sum for a histogram.</summary>
    public double Value { get; private set; }

    /// <summary>Histogram bucket upper bounds, without +Inf. Null for counters and gauges.</summary>
    public double[]? Bounds { get; private set; }

    /// <summary>Cumulative counts per bound, the last one being the +Inf bucket.</summary>
    public long[]? CumulativeCounts { get; private set; }

    public long Count { get; private set; }

    public static SeriesPoint ForValue(string labels, double value) => new(labels) { Value = value };

    public static SeriesPoint ForHistogram(string labels, double[] bounds, long[] cumulativeCounts, double sum, long count) =>
        new(labels) { Value = sum, Bounds = bounds, CumulativeCounts = cumulativeCounts, Count = count };

    /// <summary>
    /// Folds a series with the same labels from another instrument of the same family into this one:
    /// counters and histograms with the same buckets add up; otherwise the first one stays.
    /// </summary>
    public void MergeFrom(SeriesPoint other, PrometheusMetricType type)
    {
        switch (type)
        {
            case PrometheusMetricType.Counter:
                Value += other.Value;
                break;
            case PrometheusMetricType.Histogram
                when Bounds is not null && other.Bounds is not null && CumulativeCounts is not null
                    && other.CumulativeCounts is not null && Bounds.AsSpan().SequenceEqual(other.Bounds):
                var merged = new long[CumulativeCounts.Length];
                for (var i = 0; i < merged.Length; i++)
                {
                    merged[i] = CumulativeCounts[i] + other.CumulativeCounts[i];
                }

                CumulativeCounts = merged;
                Value += other.Value;
                Count += other.Count;
                break;
            default:
                break;
        }
    }
}
