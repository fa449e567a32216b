using System.ComponentModel.DataAnnotations;

namespace Platform.Api.Workloads;

/// <summary>Where io/http and fanout send their calls.</summary>
public sealed class DownstreamOptions : IValidatableObject
{
    public const string Section = "Downstream";

    /// <summary>
    /// Absolute http(s) URL of a service that serves /downstream/delay (the same image in the
    /// "downstream" role). Empty: this process calls itself, which is handy locally but means a starved
    /// pool also starves the calls it is waiting for.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>Per-call timeout in seconds; above the largest allowed wait (30 s).</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 35;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(BaseUrl)
            && (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"Downstream:BaseUrl must be an absolute http or https URL; got '{BaseUrl}'.", [nameof(BaseUrl)]);
        }
    }
}
