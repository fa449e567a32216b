using System.Diagnostics.Metrics;

namespace Platform.Metrics;

/// <summary>Decides how an instrument is aggregated and which Prometheus type it is exported as.</summary>
internal static class InstrumentClassifier
{
    /// <summary>False for instrument types this exporter does not know (e.g. custom Instrument&lt;T&gt; subclasses).</summary>
    public static bool TryClassify(
        Instrument instrument,
        ISet<string> gaugeInstruments,
        out PrometheusMetricType type,
        out AggregationKind aggregation)
    {
        var runtimeType = instrument.GetType();
        var definition = runtimeType.IsGenericType ? runtimeType.GetGenericTypeDefinition() : runtimeType;

        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
        {
            if (gaugeInstruments.Contains(instrument.Name))
            {
                // Instantaneous values published as counters by the runtime: the last value is the reading.
                (type, aggregation) = (PrometheusMetricType.Gauge, AggregationKind.LastValue);
                return true;
            }

            // An ObservableCounter reports the cumulative total itself, so the last observation is the value.
            (type, aggregation) = (PrometheusMetricType.Counter, instrument.IsObservable ? AggregationKind.LastValue : AggregationKind.MonotonicSum);
            return true;
        }

        if (definition == typeof(UpDownCounter<>))
        {
            (type, aggregation) = (PrometheusMetricType.Gauge, AggregationKind.Sum);
            return true;
        }

        if (definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>) || definition == typeof(Gauge<>))
        {
            (type, aggregation) = (PrometheusMetricType.Gauge, AggregationKind.LastValue);
            return true;
        }

        if (definition == typeof(Histogram<>))
        {
            (type, aggregation) = (PrometheusMetricType.Histogram, AggregationKind.Histogram);
            return true;
        }

        (type, aggregation) = (PrometheusMetricType.Gauge, AggregationKind.LastValue);
        return false;
    }
}
