using System.Text;

namespace Platform.Metrics;

/// <summary>
/// Renders a series' attributes once, when the series is created, as the escaped text between the
/// braces (<c>a="1",b="2"</c>), so scrapes only copy a cached string.
/// </summary>
internal static class SeriesLabels
{
    public static string Render(ReadOnlySpan<KeyValuePair<string, object?>> tags, bool isHistogram)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var labels = new List<(string Name, string Key, string Value)>(tags.Length);
        foreach (var tag in tags)
        {
            var name = PrometheusNaming.SanitizeLabelName(tag.Key);

            // "le" is the bucket label of a histogram series; an attribute of that name must not collide.
            if (isHistogram && name == "le")
            {
                name = "key_le";
            }

            labels.Add((name, tag.Key, PrometheusNaming.FormatLabelValue(tag.Value)));
        }

        // Sorted by label name so that the same tags in any order render identically.
        labels.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.Key, b.Key);
        });

        var builder = new StringBuilder();
        for (var i = 0; i < labels.Count; i++)
        {
            var (name, _, value) = labels[i];

            // Distinct keys that sanitise to one name ("a.b", "a_b") become one label with values joined
            // by ';' (in key order), as the OpenTelemetry compatibility rules say: duplicate label names are invalid.
            while (i + 1 < labels.Count && labels[i + 1].Name == name)
            {
                i++;
                value = value + ";" + labels[i].Value;
            }

            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append("=\"");
            PrometheusTextWriter.AppendEscapedLabelValue(builder, value);
            builder.Append('"');
        }

        return builder.ToString();
    }
}
