namespace Platform.Testing;

/// <summary>One static scrape target; <paramref name="Address"/> is host:port.</summary>
public sealed record ScrapeTarget(string Job, string Address, string MetricsPath = "/metrics", IDictionary<string, string>? Labels = null);

public sealed class PrometheusServerOptions
{
    public IList<ScrapeTarget> Targets { get; init; } = [];

    /// <summary>Scrape and rule evaluation interval; the scrape timeout is the smaller of this and 10 s.</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Absolute paths of rule files to load.</summary>
    public IList<string> RuleFiles { get; init; } = [];

    public bool EnableRemoteWriteReceiver { get; init; }

    /// <summary>Port to listen on (127.0.0.1); a free one when null. Set it to let Prometheus scrape itself.</summary>
    public int? Port { get; init; }
}
