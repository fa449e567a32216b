namespace Platform.Metrics;

/// <summary>What a <see cref="PrometheusCollector"/> collects and how it shapes the output.</summary>
public sealed class PrometheusExporterOptions
{
    /// <summary>
    /// Names of the meters to collect; a name ending in <c>*</c> matches every meter with that prefix.
    /// Empty means every published meter.
    /// </summary>
    public IList<string> Meters { get; } = new List<string>();

    /// <summary>
    /// Instrument names exported as Prometheus gauges (last value, no <c>_total</c>) even when they are
    /// published as (Observable)Counter. The defaults are instantaneous values that the .NET 10
    /// System.Runtime meter publishes as ObservableCounter.
    /// </summary>
    public ISet<string> GaugeInstruments { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "dotnet.thread_pool.queue.length",
        "dotnet.thread_pool.thread.count",
    };

    /// <summary>
    /// Bound on distinct label sets per instrument. Measurements with a new label set beyond it are
    /// dropped and counted in <see cref="PrometheusCollector.DroppedSeries"/>.
    /// </summary>
    public int MaxSeriesPerInstrument { get; set; } = 1000;

    /// <summary>
    /// Histogram bucket upper bounds per instrument name. Without an entry the instrument's advice
    /// (<c>InstrumentAdvice&lt;T&gt;.HistogramBucketBoundaries</c>) is used, then defaults by unit.
    /// </summary>
    public IDictionary<string, double[]> HistogramBuckets { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal);
}
