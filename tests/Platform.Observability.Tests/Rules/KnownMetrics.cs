using Platform.Testing;

namespace Platform.Observability.Tests.Rules;

/// <summary>
/// The series names dashboards and rules may use: the rows of docs/metrics-contract.md (histograms as
/// _bucket/_sum/_count), the names the recording rules define, k6's remote-written k6_* series, and up.
/// </summary>
public static class KnownMetrics
{
    private static readonly Lazy<IReadOnlySet<string>> ContractNames = new(() =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in MetricsContract.Metrics)
        {
            names.Add(metric.Name);
            if (metric.Type == "histogram")
            {
                names.Add(metric.Name + "_bucket");
                names.Add(metric.Name + "_sum");
                names.Add(metric.Name + "_count");
            }
        }
        return names;
    });

    public static IReadOnlySet<string> Contract => ContractNames.Value;

    /// <summary>Why <paramref name="name"/> may be queried, or null when nothing allows it.</summary>
    public static string? Source(string name, IReadOnlySet<string> recordedNames)
    {
        ArgumentNullException.ThrowIfNull(recordedNames);
        return Contract.Contains(name) ? "contract"
            : recordedNames.Contains(name) ? "recording rule"
            : name.StartsWith("k6_", StringComparison.Ordinal) ? "k6 remote write"
            : name == "up" ? "Prometheus"
            : null;
    }
}
