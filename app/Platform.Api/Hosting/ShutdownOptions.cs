using System.ComponentModel.DataAnnotations;

namespace Platform.Api.Hosting;

/// <summary>How long in-flight requests may run after SIGTERM before the host stops anyway.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>Drain timeout in seconds (0..300). Keep it below the pod's terminationGracePeriodSeconds.</summary>
    [Range(0, 300)]
    public int DrainTimeoutSeconds { get; set; } = 25;
}
