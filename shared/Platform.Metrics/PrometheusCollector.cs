using System.Diagnostics.Metrics;
using System.Text;

namespace Platform.Metrics;

/// <summary>
/// Listens to System.Diagnostics.Metrics instruments and renders them in the Prometheus text format.
/// Measurements may arrive from any thread; scrapes are serialised.
/// </summary>
public sealed class PrometheusCollector : IDisposable
{
    /// <summary>The media type of <see cref="Scrape"/>'s output: the Prometheus text format 0.0.4.</summary>
    public const string ContentType = PrometheusTextWriter.ContentType;

    /// <summary>Name of the meter that carries this exporter's own metrics.</summary>
    public const string SelfMeterName = "Platform.Metrics";

    internal const string DroppedSeriesInstrumentName = "platform.metrics.dropped_series";

    // Flush the streamed output once this much text has been rendered, to bound memory on big scrapes.
    private const int StreamChunkChars = 16 * 1024;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly string[] _meterNames;
    private readonly HashSet<string> _gaugeInstruments;
    private readonly IReadOnlyDictionary<string, double[]> _histogramBuckets;
    private readonly int _maxSeriesPerInstrument;
    private readonly CollectionCycle _cycle = new();
    private readonly MeterListener _listener = new();
    private readonly Meter _selfMeter;
    private readonly Lock _statesGate = new();
    private readonly List<InstrumentState> _states = [];
    // Not disposed on purpose: a scrape racing Dispose must still be able to release it.
    private readonly SemaphoreSlim _scrapeGate = new(1, 1);
    private long _nextSequence;
    private int _started;
    private int _disposed;
    private int _skippedInstruments;

    public PrometheusCollector(PrometheusExporterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSeriesPerInstrument, 1, nameof(options));

        // Copy the options: later changes to the options object must not half-apply to a running collector.
        _meterNames = [.. options.Meters];
        _gaugeInstruments = new HashSet<string>(options.GaugeInstruments, StringComparer.Ordinal);
        _histogramBuckets = options.HistogramBuckets.ToDictionary(
            static kv => kv.Key,
            static kv => HistogramBuckets.Normalize(kv.Value),
            StringComparer.Ordinal);
        _maxSeriesPerInstrument = options.MaxSeriesPerInstrument;

        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.MeasurementsCompleted = OnMeasurementsCompleted;
        _listener.SetMeasurementEventCallback<byte>(OnMeasurement);
        _listener.SetMeasurementEventCallback<short>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<float>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.SetMeasurementEventCallback<decimal>(OnMeasurement);

        // Each collector owns its self-metric meter; other collectors in the process skip it (see IsSelected).
        _selfMeter = new Meter(SelfMeterName);
        _selfMeter.CreateObservableCounter(
            DroppedSeriesInstrumentName,
            () => DroppedSeries,
            unit: "{series}",
            description: "Measurements dropped because their label set would exceed the per-instrument series limit.");
    }

    /// <summary>
    /// Measurements dropped because their label set was new while the instrument already had
    /// MaxSeriesPerInstrument series.
    /// </summary>
    public long DroppedSeries => _cycle.DroppedSeries;

    /// <summary>Instruments left out of the last scrape because another instrument of a different type took their family name.</summary>
    internal int SkippedInstruments => Volatile.Read(ref _skippedInstruments);

    /// <summary>Starts listening; instruments already published are enabled too.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _listener.Start();
        }
    }

    /// <summary>Observes the observable instruments and renders the whole exposition.</summary>
    public string Scrape()
    {
        _scrapeGate.Wait();
        List<MetricFamily> families;
        try
        {
            families = Collect();
        }
        finally
        {
            _scrapeGate.Release();
        }

        var output = new StringBuilder();
        var writer = new PrometheusTextWriter(output);
        foreach (var family in families)
        {
            writer.WriteFamily(family);
        }

        return output.ToString();
    }

    /// <summary>Like <see cref="Scrape"/>, written to <paramref name="stream"/> as UTF-8 in chunks.</summary>
    public async Task WriteAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);

        await _scrapeGate.WaitAsync(ct);
        List<MetricFamily> families;
        try
        {
            families = Collect();
        }
        finally
        {
            _scrapeGate.Release();
        }

        // The snapshot is detached from live state, so the (possibly slow) write happens outside the gate.
        var output = new StringBuilder();
        var writer = new PrometheusTextWriter(output);
        await using var streamWriter = new StreamWriter(stream, Utf8NoBom, bufferSize: 4096, leaveOpen: true);
        foreach (var family in families)
        {
            writer.WriteFamily(family);
            if (output.Length >= StreamChunkChars)
            {
                await streamWriter.WriteAsync(output, ct);
                output.Clear();
            }
        }

        await streamWriter.WriteAsync(output, ct);
        await streamWriter.FlushAsync(ct);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Disposing the listener reports MeasurementsCompleted for every enabled instrument.
        _listener.Dispose();
        _selfMeter.Dispose();
    }

    private static void OnMeasurement<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct
    {
        if (state is InstrumentState instrumentState)
        {
            instrumentState.Record(MeasurementConverter.ToDouble(measurement), tags);
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!IsSelected(instrument)
            || !InstrumentClassifier.TryClassify(instrument, _gaugeInstruments, out var type, out var aggregation))
        {
            return;
        }

        var bounds = aggregation == AggregationKind.Histogram ? HistogramBuckets.Resolve(instrument, _histogramBuckets) : null;
        var state = new InstrumentState(
            instrument,
            Interlocked.Increment(ref _nextSequence),
            type,
            aggregation,
            bounds,
            _maxSeriesPerInstrument,
            _cycle);

        lock (_statesGate)
        {
            _states.Add(state);
        }

        listener.EnableMeasurementEvents(instrument, state);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        // The meter was disposed (or the listener stopped): the instrument is no longer exported.
        if (state is InstrumentState instrumentState)
        {
            lock (_statesGate)
            {
                _states.Remove(instrumentState);
            }
        }
    }

    private bool IsSelected(Instrument instrument)
    {
        var meter = instrument.Meter;
        if (ReferenceEquals(meter, _selfMeter))
        {
            return true;
        }

        // Another collector's self metric would duplicate ours (same family, same empty label set).
        if (meter.Name == SelfMeterName && instrument.Name == DroppedSeriesInstrumentName)
        {
            return false;
        }

        if (_meterNames.Length == 0)
        {
            return true;
        }

        foreach (var name in _meterNames)
        {
            var matches = name.EndsWith('*')
                ? meter.Name.StartsWith(name[..^1], StringComparison.Ordinal)
                : string.Equals(meter.Name, name, StringComparison.Ordinal);
            if (matches)
            {
                return true;
            }
        }

        return false;
    }

    // Caller holds _scrapeGate.
    private List<MetricFamily> Collect()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var cycle = _cycle.Advance();
        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (AggregateException)
        {
            // Some observable callback threw. The listener still observed all the others; the failing
            // instrument reported nothing this cycle, so it is left out rather than failing the whole scrape.
        }

        InstrumentState[] states;
        lock (_statesGate)
        {
            states = [.. _states];
        }

        Array.Sort(states, static (a, b) => a.Sequence.CompareTo(b.Sequence));

        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        var skipped = 0;
        foreach (var state in states)
        {
            if (families.TryGetValue(state.FamilyName, out var family))
            {
                if (family.Type != state.Type)
                {
                    // Same name, different type cannot be expressed; the first published instrument keeps the name.
                    skipped++;
                    continue;
                }
            }
            else
            {
                family = new MetricFamily(state.FamilyName, state.Help, state.Type);
                families.Add(state.FamilyName, family);
            }

            foreach (var point in state.Snapshot(cycle))
            {
                family.Add(point);
            }
        }

        Volatile.Write(ref _skippedInstruments, skipped);

        return [.. families.Values.Where(static f => !f.IsEmpty).OrderBy(static f => f.Name, StringComparer.Ordinal)];
    }
}
