using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.Metrics;

/// <summary>
/// Everything the exporter keeps for one enabled instrument: its Prometheus identity and its series.
/// Passed as the MeterListener state so a measurement reaches it without any lookup by instrument.
/// </summary>
internal sealed class InstrumentState
{
    private readonly ConcurrentDictionary<TagSet, MetricSeries> _series = new(TagSetComparer.Instance);
    private readonly ConcurrentDictionary<TagSet, MetricSeries>.AlternateLookup<TagSpan> _seriesBySpan;
    private readonly CollectionCycle _cycle;
    private readonly int _maxSeries;
    private readonly bool _isObservable;
    private int _seriesCount;

    public InstrumentState(
        Instrument instrument,
        long sequence,
        PrometheusMetricType type,
        AggregationKind aggregation,
        double[]? bucketBounds,
        int maxSeries,
        CollectionCycle cycle)
    {
        Instrument = instrument;
        Sequence = sequence;
        Type = type;
        Aggregation = aggregation;
        BucketBounds = bucketBounds;
        FamilyName = PrometheusNaming.GetMetricName(instrument.Name, instrument.Unit, type);
        Help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
        _maxSeries = maxSeries;
        _isObservable = instrument.IsObservable;
        _cycle = cycle;
        _seriesBySpan = _series.GetAlternateLookup<TagSpan>();
    }

    public Instrument Instrument { get; }

    /// <summary>Publication order: when two instruments collide on a family name, the earlier one wins.</summary>
    public long Sequence { get; }

    public string FamilyName { get; }

    public string Help { get; }

    public PrometheusMetricType Type { get; }

    public AggregationKind Aggregation { get; }

    public double[]? BucketBounds { get; }

    /// <summary>Hot path: called from the MeterListener for every measurement of this instrument.</summary>
    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // A NaN or negative add would leave a counter or sum broken forever; a NaN has no histogram bucket.
        switch (Aggregation)
        {
            case AggregationKind.MonotonicSum when !(value >= 0):
            case AggregationKind.Sum or AggregationKind.Histogram when double.IsNaN(value):
                return;
            default:
                break;
        }

        var series = GetOrAddSeries(tags);
        if (series is null)
        {
            return;
        }

        series.Record(value);
        if (_isObservable)
        {
            series.MarkObserved(_cycle.Current);
        }
    }

    /// <summary>
    /// Copies the exportable series. For observable instruments the callbacks have just reported every
    /// live series, so one not reported in <paramref name="cycle"/> is gone and is removed.
    /// </summary>
    public List<SeriesPoint> Snapshot(long cycle)
    {
        var points = new List<SeriesPoint>(_series.Count);
        foreach (var (key, series) in _series)
        {
            if (_isObservable && series.LastObservedCycle != cycle)
            {
                if (_series.TryRemove(new KeyValuePair<TagSet, MetricSeries>(key, series)))
                {
                    Interlocked.Decrement(ref _seriesCount);
                }

                continue;
            }

            if (series.Snapshot() is { } point)
            {
                points.Add(point);
            }
        }

        return points;
    }

    // Observable callbacks run one at a time on the scraping thread. A label set that the previous
    // cycle reported but this one has not yet is probably gone: free its slot for the new one.
    private bool TryReclaimSlotFromStaleSeries()
    {
        if (!_isObservable)
        {
            return false;
        }

        var cycle = _cycle.Current;
        foreach (var (key, series) in _series)
        {
            if (series.LastObservedCycle != cycle && _series.TryRemove(new KeyValuePair<TagSet, MetricSeries>(key, series)))
            {
                // Its slot goes to the caller, whose reservation is already counted.
                Interlocked.Decrement(ref _seriesCount);
                return true;
            }
        }

        return false;
    }

    private MetricSeries? GetOrAddSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_seriesBySpan.TryGetValue(new TagSpan(tags), out var existing))
        {
            return existing;
        }

        return AddSeries(tags);
    }

    // Off the hot path: runs once per new label set.
    private MetricSeries? AddSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Reserve a slot first so concurrent threads cannot overshoot the bound together.
        if (Interlocked.Increment(ref _seriesCount) > _maxSeries && !TryReclaimSlotFromStaleSeries())
        {
            Interlocked.Decrement(ref _seriesCount);

            // Another thread may have added this very label set meanwhile: that is not a drop.
            if (_seriesBySpan.TryGetValue(new TagSpan(tags), out var raced))
            {
                return raced;
            }

            _cycle.CountDroppedSeries();
            return null;
        }

        var key = TagSet.Create(tags);
        var labels = SeriesLabels.Render(tags, Type == PrometheusMetricType.Histogram);
        MetricSeries created = Aggregation switch
        {
            AggregationKind.Histogram => new HistogramSeries(labels, BucketBounds ?? []),
            AggregationKind.LastValue => new LastValueSeries(labels),
            _ => new SumSeries(labels),
        };

        var winner = _series.GetOrAdd(key, created);
        if (!ReferenceEquals(winner, created))
        {
            Interlocked.Decrement(ref _seriesCount);
        }

        return winner;
    }
}
