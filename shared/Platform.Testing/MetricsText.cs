using Platform.Metrics;

namespace Platform.Testing;

/// <summary>
/// The text exposition the API or the operator serves, read for assertions: families with their TYPE,
/// and their samples (read by the same <see cref="ExpositionReader"/> the operator uses). Unlike the
/// operator, a test must not skip what it cannot read: a malformed sample line throws.
/// </summary>
public sealed class MetricsText
{
    private MetricsText(Dictionary<string, string> types, IReadOnlyList<ExpositionSample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Family name → Prometheus type, from the # TYPE lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<ExpositionSample> Samples { get; }

    public static MetricsText Parse(string exposition)
    {
        var types = new Dictionary<string, string>();
        var sampleLines = 0;
        foreach (var line in exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                sampleLines++;
            }
        }
        var samples = ExpositionReader.Read(exposition);
        if (samples.Count != sampleLines)
        {
            throw new FormatException($"{sampleLines - samples.Count} of {sampleLines} sample lines could not be read.");
        }
        return new MetricsText(types, samples);
    }

    /// <summary>Samples of a family: for histograms, its _bucket, _sum and _count series.</summary>
    public IEnumerable<ExpositionSample> Family(string family) =>
        Samples.Where(s => s.Name == family || (Types.GetValueOrDefault(family) == "histogram"
            && (s.Name == family + "_bucket" || s.Name == family + "_sum" || s.Name == family + "_count")));

    public double Sum(string sampleName, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        Samples.Where(s => s.Name == sampleName && (where is null || where(s.Labels))).Sum(s => s.Value);

    public double? Single(string sampleName) =>
        Samples.FirstOrDefault(s => s.Name == sampleName) is { } sample ? sample.Value : null;
}
