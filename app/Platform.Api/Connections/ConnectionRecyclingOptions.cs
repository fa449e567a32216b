using System.ComponentModel.DataAnnotations;

namespace Platform.Api.Connections;

/// <summary>
/// When Kestrel asks a keep-alive client to reconnect: after a connection's age or its request count. Off (0) by
/// default, as Kestrel is; the chart turns the age on, so a per-connection balancer in front of the pods
/// (kube-proxy) gets to place every client again within seconds of a scale-out.
/// </summary>
public sealed class ConnectionRecyclingOptions : IValidatableObject
{
    public const string Section = "Connections";

    public const int MaxAgeSecondsLimit = 86_400;
    public const int MaxRequestsLimit = 1_000_000;

    /// <summary>
    /// How far one connection's max age may lie from <see cref="MaxAgeSeconds"/>, either way: connections opened
    /// together (a load generator's start, a pool's warm-up) then reconnect spread over a fifth of the age, not
    /// all in the same second.
    /// </summary>
    public const double MaxAgeJitter = 0.1;

    /// <summary>
    /// Seconds after it opened from which a connection's next response asks the client to reconnect, give or take
    /// <see cref="MaxAgeJitter"/>; 0 = never (1..86400).
    /// </summary>
    public int MaxAgeSeconds { get; set; }

    /// <summary>Requests a connection serves; the last one's response asks the client to reconnect. 0 = no limit (1..1000000).</summary>
    public int MaxRequests { get; set; }

    public bool Enabled => MaxAgeSeconds > 0 || MaxRequests > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxAgeSeconds is < 0 or > MaxAgeSecondsLimit)
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(MaxAgeSeconds)} must be 0 (off) or from 1 to {MaxAgeSecondsLimit} seconds; got {MaxAgeSeconds}.", [nameof(MaxAgeSeconds)]);
        }
        if (MaxRequests is < 0 or > MaxRequestsLimit)
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(MaxRequests)} must be 0 (off) or from 1 to {MaxRequestsLimit}; got {MaxRequests}.", [nameof(MaxRequests)]);
        }
    }
}
