using System.Globalization;

namespace Platform.Metrics;

/// <summary>A sample of the Prometheus text format: name, labels, value.</summary>
public sealed record ExpositionSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the sample lines of the Prometheus text format (0.0.4): names, unescaped label values, values.
/// Comments and malformed lines are skipped (for the operator, a signal that cannot be read is absent);
/// callers that must reject malformed input compare the count with the sample lines they saw.
/// </summary>
public static class ExpositionReader
{
    public static IReadOnlyList<ExpositionSample> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<ExpositionSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (TryParse(line, out var sample))
            {
                samples.Add(sample);
            }
        }
        return samples;
    }

    private static bool TryParse(string line, out ExpositionSample sample)
    {
        sample = null!;
        var labels = new Dictionary<string, string>();
        var nameEnd = line.IndexOfAny(['{', ' ']);
        if (nameEnd <= 0)
        {
            return false;
        }
        var name = line[..nameEnd];
        var position = nameEnd;
        if (line[position] == '{')
        {
            position++;
            while (position < line.Length && line[position] != '}')
            {
                var equals = line.IndexOf('=', position);
                if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
                {
                    return false;
                }
                var key = line[position..equals].Trim(',', ' ');
                var value = new System.Text.StringBuilder();
                var i = equals + 2;
                for (; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                }
                if (i >= line.Length)
                {
                    return false;
                }
                labels[key] = value.ToString();
                position = i + 1;
                if (position < line.Length && line[position] == ',')
                {
                    position++;
                }
            }
            position++;
        }
        var rest = line[position..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length == 0 || !TryValue(rest[0], out var number))
        {
            return false;
        }
        sample = new ExpositionSample(name, labels, number);
        return true;
    }

    private static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }
}
