using Microsoft.Extensions.Configuration.Memory;

namespace Platform.Operator.Hosting;

/// <summary>
/// The operator's default log levels: its own decisions, warnings and errors, not a line per probe, scrape or
/// outgoing call. The kubelet probes the operator every few seconds, Prometheus scrapes it, and every pod push
/// and Prometheus query goes through an HttpClient: at Information, ASP.NET Core's request logs and the
/// HttpClient handlers' logs outnumber the decisions a thousand to one.
/// </summary>
public static class OperatorLogging
{
    /// <summary>Configuration keys (Logging:LogLevel:CATEGORY) and their default levels.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
    };

    /// <summary>
    /// Adds <see cref="Defaults"/> beneath every other configuration source, so appsettings, the environment
    /// (Logging__LogLevel__Microsoft.AspNetCore=Information) and the command line still override each key.
    /// </summary>
    public static void AddDefaults(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
}
