using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Platform.Api.Control;

/// <summary>The control listener: /metrics, /healthz/live and /admin served without any thread-pool thread.</summary>
public sealed class ControlOptions : IValidatableObject
{
    public const string Section = "Control";

    /// <summary>
    /// The port of the control listener. Unset: no control listener (Kestrel serves everything). Point
    /// scrapes, liveness probes and the operator here: it answers while the pool is starved.
    /// </summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>The address the control listener binds (its port and, when it serves admin, Admin:Port).</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>Connections served at once. One more is answered 503 at once: a client never waits in a queue.</summary>
    [Range(1, 1024)]
    public int MaxConnections { get; set; } = 64;

    /// <summary>Deadline for a whole request, from accept to the last byte of the answer; a slower client gets 408.</summary>
    [Range(100, 60_000)]
    public int RequestTimeoutMilliseconds { get; set; } = 2_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult($"Control:Address must be an IP address; got '{Address}'.", [nameof(Address)]);
        }
    }
}
