namespace Platform.Metrics;

/// <summary>The aggregation state of one label set of one instrument.</summary>
internal abstract class MetricSeries(string labels)
{
    private long _lastObservedCycle;

    /// <summary>Rendered, escaped label text (without braces).</summary>
    public string Labels { get; } = labels;

    /// <summary>The scrape cycle that last reported this series; observable series not reported in a cycle are stale.</summary>
    public long LastObservedCycle => Volatile.Read(ref _lastObservedCycle);

    public abstract void Record(double value);

    public void MarkObserved(long cycle) => Volatile.Write(ref _lastObservedCycle, cycle);

    /// <summary>A consistent copy of the current value, or null if there is nothing to export.</summary>
    public abstract SeriesPoint? Snapshot();
}

/// <summary>Counter and UpDownCounter: the sum of every recorded value.</summary>
internal sealed class SumSeries(string labels) : MetricSeries(labels)
{
    private double _sum;

    public override void Record(double value)
    {
        // Lock-free add: many request threads record into the same series.
        var current = Volatile.Read(ref _sum);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _sum, current + value, current);

            // Compare bits, not values: 0.0 == -0.0 would mistake a lost race for success.
            if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = seen;
        }
    }

    public override SeriesPoint? Snapshot() => SeriesPoint.ForValue(Labels, Volatile.Read(ref _sum));
}

/// <summary>Observable instruments, Gauge&lt;T&gt; and gauge overrides: the latest value wins.</summary>
internal sealed class LastValueSeries(string labels) : MetricSeries(labels)
{
    private double _value;

    public override void Record(double value) => Volatile.Write(ref _value, value);

    public override SeriesPoint? Snapshot() => SeriesPoint.ForValue(Labels, Volatile.Read(ref _value));
}

/// <summary>Histogram: per-bucket counts (non-cumulative while recording), sum and count.</summary>
internal sealed class HistogramSeries(string labels, double[] bounds) : MetricSeries(labels)
{
    // A lock per series keeps count, sum and buckets mutually consistent for a scrape.
    private readonly Lock _gate = new();
    private readonly long[] _bucketCounts = new long[bounds.Length + 1];
    private double _sum;
    private long _count;

    public override void Record(double value)
    {
        var bucket = HistogramBuckets.FindBucket(bounds, value);
        lock (_gate)
        {
            _bucketCounts[bucket]++;
            _sum += value;
            _count++;
        }
    }

    public override SeriesPoint? Snapshot()
    {
        var cumulative = new long[_bucketCounts.Length];
        double sum;
        long count;
        lock (_gate)
        {
            if (_count == 0)
            {
                return null;
            }

            long running = 0;
            for (var i = 0; i < _bucketCounts.Length; i++)
            {
                running += _bucketCounts[i];
                cumulative[i] = running;
            }

            sum = _sum;
            count = _count;
        }

        return SeriesPoint.ForHistogram(Labels, bounds, cumulative, sum, count);
    }
}
