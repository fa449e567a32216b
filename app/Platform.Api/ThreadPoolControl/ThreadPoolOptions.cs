using System.ComponentModel.DataAnnotations;

namespace Platform.Api.ThreadPoolControl;

/// <summary>Thread-pool settings: what to apply at start-up and the cap on run-time changes.</summary>
public sealed class ThreadPoolOptions : IValidatableObject
{
    public const string Section = "ThreadPool";

    /// <summary>Min worker threads applied at start-up; unset keeps the runtime default (the processor count).</summary>
    public int? MinWorkerThreads { get; set; }

    /// <summary>Min I/O completion threads applied at start-up; unset keeps the runtime default.</summary>
    public int? MinIoThreads { get; set; }

    /// <summary>
    /// Highest min-threads value the admin endpoint accepts. Every thread reserves stack memory; a typo
    /// of 100000 must not take the pod down.
    /// </summary>
    [Range(1, 32_767)]
    public int MinThreadsCap { get; set; } = 1_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { (nameof(MinWorkerThreads), MinWorkerThreads), (nameof(MinIoThreads), MinIoThreads) })
        {
            if (value is < 1 || value > MinThreadsCap)
            {
                yield return new ValidationResult($"ThreadPool:{name} must be from 1 to ThreadPool:MinThreadsCap ({MinThreadsCap}); got {value}.", [name]);
            }
        }
    }
}

/// <summary>The admin endpoint's credentials.</summary>
public sealed class AdminOptions : IValidatableObject
{
    public const string Section = "Admin";
    public const int MinTokenLength = 16;

    /// <summary>Bearer token for /admin. Unset: every admin request is refused (401).</summary>
    public string? Token { get; set; }

    /// <summary>
    /// When set, /admin answers only on connections that arrived on this port (404 elsewhere, whatever the
    /// Host header says), so a NetworkPolicy on the port decides who reaches it. With Control:Port set, the
    /// control listener binds this port and serves /admin there without a pool thread; without it, Kestrel
    /// must listen on it (e.g. ASPNETCORE_URLS with both ports).
    /// </summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Token) && Token.Length < MinTokenLength)
        {
            yield return new ValidationResult($"Admin:Token must be at least {MinTokenLength} characters.", [nameof(Token)]);
        }
    }
}
