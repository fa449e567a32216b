using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Metrics.Tests;

/// <summary>One parsed sample line.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>One family declared by # TYPE, with its samples.</summary>
internal sealed record Family(string Name, string Type, string? Help, List<Sample> Samples);

/// <summary>
/// A small, strict reader of the Prometheus text format 0.0.4, written independently of the exporter so
/// tests can check its output against the grammar rather than against its own code.
/// </summary>
internal static partial class Exposition
{
    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the first offending line.</summary>
    public static Dictionary<string, Family> Parse(string text)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        var seenSeries = new HashSet<string>(StringComparer.Ordinal);
        Family? current = null;

        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The exposition must end with a line feed.");
        }

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            var lineNo = i + 1;
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var match = HelpLine().Match(line);
                if (!match.Success)
                {
                    throw new FormatException($"Line {lineNo}: malformed HELP: {line}");
                }

                var name = match.Groups["name"].Value;
                if (!helps.TryAdd(name, UnescapeHelp(match.Groups["text"].Value, lineNo)))
                {
                    throw new FormatException($"Line {lineNo}: second HELP for {name}");
                }

                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var match = TypeLine().Match(line);
                if (!match.Success)
                {
                    throw new FormatException($"Line {lineNo}: malformed TYPE: {line}");
                }

                var name = match.Groups["name"].Value;
                if (families.ContainsKey(name))
                {
                    throw new FormatException($"Line {lineNo}: second TYPE for {name}");
                }

                current = new Family(name, match.Groups["type"].Value, helps.GetValueOrDefault(name), []);
                families.Add(name, current);
                continue;
            }

            if (line.StartsWith('#') || line.Length == 0)
            {
                throw new FormatException($"Line {lineNo}: this exporter writes no other comments or blank lines: '{line}'");
            }

            var sample = ParseSample(line, lineNo);
            if (current is null || !BelongsTo(sample.Name, current))
            {
                throw new FormatException($"Line {lineNo}: sample {sample.Name} does not belong to the family declared just before it by # TYPE");
            }

            var seriesId = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!seenSeries.Add(seriesId))
            {
                throw new FormatException($"Line {lineNo}: duplicate series {seriesId}");
            }

            current.Samples.Add(sample);
        }

        return families;
    }

    private static bool BelongsTo(string sampleName, Family family) => family.Type switch
    {
        "histogram" => HistogramSuffixes.Any(s => sampleName == family.Name + s),
        "summary" => sampleName == family.Name || sampleName == family.Name + "_sum" || sampleName == family.Name + "_count",
        _ => sampleName == family.Name,
    };

    private static Sample ParseSample(string line, int lineNo)
    {
        var match = SampleLine().Match(line);
        if (!match.Success)
        {
            throw new FormatException($"Line {lineNo}: not a valid sample line: {line}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Capture capture in match.Groups["label"].Captures)
        {
            var pair = LabelPair().Match(capture.Value);
            var name = pair.Groups["name"].Value;
            if (name.StartsWith("__", StringComparison.Ordinal))
            {
                throw new FormatException($"Line {lineNo}: reserved label name {name}");
            }

            if (!labels.TryAdd(name, UnescapeLabelValue(pair.Groups["value"].Value, lineNo)))
            {
                throw new FormatException($"Line {lineNo}: duplicate label {name}");
            }
        }

        return new Sample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value));
    }

    public static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string UnescapeLabelValue(string raw, int lineNo)
    {
        var result = new System.Text.StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                result.Append(raw[i]);
                continue;
            }

            i++;
            result.Append(raw[i] switch
            {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                var other => throw new FormatException($"Line {lineNo}: invalid escape \\{other} in label value"),
            });
        }

        return result.ToString();
    }

    private static string UnescapeHelp(string raw, int lineNo)
    {
        var result = new System.Text.StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                result.Append(raw[i]);
                continue;
            }

            if (i + 1 >= raw.Length)
            {
                throw new FormatException($"Line {lineNo}: dangling backslash in HELP");
            }

            i++;
            result.Append(raw[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                var other => throw new FormatException($"Line {lineNo}: invalid escape \\{other} in HELP"),
            });
        }

        return result.ToString();
    }

    [GeneratedRegex(@"^# HELP (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<text>[^\n]*)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    // name, optional {label="value",...} (values: any char but an unescaped quote, backslash or newline), a value, no timestamp.
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?<label>[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*"")(,(?<label>[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*""))*)?\})? (?<value>[+-]Inf|NaN|[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>.*)""$", RegexOptions.Singleline)]
    private static partial Regex LabelPair();
}
