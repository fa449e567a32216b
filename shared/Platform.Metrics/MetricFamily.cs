namespace Platform.Metrics;

/// <summary>One Prometheus metric family as written in a scrape: HELP, TYPE and its series.</summary>
internal sealed class MetricFamily(string name, string help, PrometheusMetricType type)
{
    private readonly Dictionary<string, SeriesPoint> _seriesByLabels = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public string Help { get; } = help;

    public PrometheusMetricType Type { get; } = type;

    /// <summary>Series sorted by label text, for a stable output.</summary>
    public IEnumerable<SeriesPoint> Series =>
        _seriesByLabels.Values.OrderBy(static s => s.Labels, StringComparer.Ordinal);

    public bool IsEmpty => _seriesByLabels.Count == 0;

    /// <summary>A second series with the same labels (another instrument of this family) is merged, never duplicated.</summary>
    public void Add(SeriesPoint point)
    {
        if (_seriesByLabels.TryGetValue(point.Labels, out var existing))
        {
            existing.MergeFrom(point, Type);
        }
        else
        {
            _seriesByLabels.Add(point.Labels, point);
        }
    }
}
