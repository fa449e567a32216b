namespace Platform.Testing;

/// <summary>One static scrape target; <paramref name="Address"/> is host:port.</summary>
public sealed record ScrapeTarget(string Job, string Address, string MetricsPath = "/metrics", IDictionary<string, string>? Labels = null);

/// <summary>A job whose targets Prometheus reads from a file it watches (file service discovery), as pods come and go.</summary>
public sealed record FileDiscoveredJob(string Job, string File, string MetricsPath = "/metrics");

public sealed class PrometheusServerOptions
{
    /// <summary>Jobs whose targets come from a file_sd JSON file (absolute path), rewritten while Prometheus runs.</summary>
    public IList<FileDiscoveredJob> FileDiscoveredJobs { get; init; } = [];

    public IList<ScrapeTarget> Targets { get; init; } = [];

    /// <summary>Scrape and rule evaluation interval; the scrape timeout is the smaller of this and 10 s.</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Absolute paths of rule files to load.</summary>
    public IList<string> RuleFiles { get; init; } = [];

    public bool EnableRemoteWriteReceiver { get; init; }

    /// <summary>Port to listen on (127.0.0.1); a free one when null. Set it to let Prometheus scrape itself.</summary>
    public int? Port { get; init; }
}
