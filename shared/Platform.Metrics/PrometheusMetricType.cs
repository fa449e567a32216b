namespace Platform.Metrics;

/// <summary>The Prometheus metric types this exporter writes.</summary>
internal enum PrometheusMetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>How the measurements of one instrument are combined into a series value.</summary>
internal enum AggregationKind
{
    /// <summary>Counter&lt;T&gt;: a monotonic sum of Add() values.</summary>
    MonotonicSum,

    /// <summary>UpDownCounter&lt;T&gt;: a sum that may go down.</summary>
    Sum,

    /// <summary>Observable instruments and Gauge&lt;T&gt;: the latest measurement is the value.</summary>
    LastValue,

    /// <summary>Histogram&lt;T&gt;: bucket counts, sum and count.</summary>
    Histogram,
}
