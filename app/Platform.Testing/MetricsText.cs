using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Testing;

/// <summary>A sample from a Prometheus text exposition.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the text exposition the API serves: families with their TYPE, and their samples.</summary>
public sealed partial class MetricsText
{
    private MetricsText(Dictionary<string, string> types, List<MetricSample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Family name → Prometheus type, from the # TYPE lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<MetricSample> Samples { get; }

    public static MetricsText Parse(string exposition)
    {
        var types = new Dictionary<string, string>();
        var samples = new List<MetricSample>();
        foreach (var line in exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"Not a sample line: {line}");
            }
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
            samples.Add(new MetricSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value)));
        }
        return new MetricsText(types, samples);
    }

    /// <summary>Samples of a family: for histograms, its _bucket, _sum and _count series.</summary>
    public IEnumerable<MetricSample> Family(string family) =>
        Samples.Where(s => s.Name == family || (Types.GetValueOrDefault(family) == "histogram"
            && (s.Name == family + "_bucket" || s.Name == family + "_sum" || s.Name == family + "_count")));

    public double Sum(string sampleName, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        Samples.Where(s => s.Name == sampleName && (where is null || where(s.Labels))).Sum(s => s.Value);

    public double? Single(string sampleName) =>
        Samples.FirstOrDefault(s => s.Name == sampleName) is { } sample ? sample.Value : null;

    private static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
