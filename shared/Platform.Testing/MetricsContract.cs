using System.Text.RegularExpressions;

namespace Platform.Testing;

/// <summary>A row of docs/metrics-contract.md. Optional labels are written in brackets there.</summary>
public sealed record ContractMetric(
    string Name, string Type, IReadOnlySet<string> Labels, IReadOnlySet<string> OptionalLabels, string Present, string Instrument);

/// <summary>Reads the metrics contract document: the single, human-readable source of metric names.</summary>
public static partial class MetricsContract
{
    public static string DocumentPath => Path.Combine(AppContext.BaseDirectory, "contract", "metrics-contract.md");

    public static IReadOnlyList<ContractMetric> Metrics { get; } = Load().Metrics;

    public static IReadOnlySet<string> LintExempt { get; } = Load().LintExempt;

    private static (IReadOnlyList<ContractMetric> Metrics, IReadOnlySet<string> LintExempt) Load()
    {
        var metrics = new List<ContractMetric>();
        var exempt = new HashSet<string>();
        foreach (var line in File.ReadLines(DocumentPath))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length == 9 && Code().Match(cells[1]) is { Success: true } name && cells[2] is "counter" or "gauge" or "histogram")
            {
                var labels = cells[4] == "-" ? [] : cells[4].Split(',', StringSplitOptions.TrimEntries);
                metrics.Add(new ContractMetric(
                    name.Groups[1].Value,
                    cells[2],
                    labels.Where(l => !l.StartsWith('[')).ToHashSet(),
                    labels.Where(l => l.StartsWith('[')).Select(l => l.Trim('[', ']')).ToHashSet(),
                    cells[5],
                    Code().Match(cells[6]).Groups[1].Value));
            }
            else if (cells.Length == 4 && Code().Match(cells[1]) is { Success: true } exemptName && Code().IsMatch(cells[2]))
            {
                exempt.Add(exemptName.Groups[1].Value);
            }
        }
        return (metrics, exempt);
    }

    [GeneratedRegex("^`([^`]+)`")]
    private static partial Regex Code();
}
