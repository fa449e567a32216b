using System.ComponentModel.DataAnnotations;

namespace Platform.Api.Telemetry;

public sealed class MetricsOptions : IValidatableObject
{
    public const string Section = "Metrics";

    /// <summary>Serve /metrics and run the scheduling-delay probe. Off only to measure their overhead.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the probe queues a work item, in milliseconds.</summary>
    [Range(10, 10_000)]
    public int SchedulingDelayProbeIntervalMilliseconds { get; set; } = 100;

    /// <summary>
    /// When set, /metrics is also served on this port by a dedicated thread that needs no thread-pool
    /// thread, so Prometheus can still scrape a starved process. Point scrapes here in production.
    /// </summary>
    [Range(1, 65535)]
    public int? DedicatedPort { get; set; }

    /// <summary>The address the dedicated metrics port binds to.</summary>
    public string DedicatedAddress { get; set; } = "0.0.0.0";

    /// <summary>Bound on label sets per instrument: a guard against unbounded cardinality.</summary>
    [Range(10, 100_000)]
    public int MaxSeriesPerInstrument { get; set; } = 2000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!System.Net.IPAddress.TryParse(DedicatedAddress, out _))
        {
            yield return new ValidationResult($"Metrics:DedicatedAddress must be an IP address; got '{DedicatedAddress}'.", [nameof(DedicatedAddress)]);
        }
    }
}
