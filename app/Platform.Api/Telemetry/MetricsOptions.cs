using System.ComponentModel.DataAnnotations;

namespace Platform.Api.Telemetry;

public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Serve /metrics and run the scheduling-delay probe. Off only to measure their overhead.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the probe queues a work item, in milliseconds.</summary>
    [Range(10, 10_000)]
    public int SchedulingDelayProbeIntervalMilliseconds { get; set; } = 100;

    /// <summary>Bound on label sets per instrument: a guard against unbounded cardinality.</summary>
    [Range(10, 100_000)]
    public int MaxSeriesPerInstrument { get; set; } = 2000;
}
