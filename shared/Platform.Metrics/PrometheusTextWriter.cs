using System.Globalization;
using System.Text;

namespace Platform.Metrics;

/// <summary>Writes metric families in the Prometheus text exposition format, version 0.0.4.</summary>
internal sealed class PrometheusTextWriter(StringBuilder output)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public void WriteFamily(MetricFamily family)
    {
        output.Append("# HELP ").Append(family.Name).Append(' ');
        AppendEscapedHelp(output, family.Help);
        output.Append('\n');
        output.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeName(family.Type)).Append('\n');

        foreach (var series in family.Series)
        {
            if (family.Type == PrometheusMetricType.Histogram)
            {
                WriteHistogramSeries(family.Name, series);
            }
            else
            {
                WriteSample(family.Name, string.Empty, series.Labels, null, series.Value);
            }
        }
    }

    /// <summary>Shortest round-trip invariant form, with the Prometheus spellings of the special values.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        return double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static void AppendEscapedLabelValue(StringBuilder builder, string value) => AppendEscaped(builder, value, escapeQuote: true);

    /// <summary>HELP text escapes only backslash and line feed.</summary>
    public static void AppendEscapedHelp(StringBuilder builder, string help) => AppendEscaped(builder, help, escapeQuote: false);

    private static void AppendEscaped(StringBuilder builder, string text, bool escapeQuote)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '"' when escapeQuote:
                    builder.Append("\\\"");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
    }

    private static string TypeName(PrometheusMetricType type) => type switch
    {
        PrometheusMetricType.Counter => "counter",
        PrometheusMetricType.Histogram => "histogram",
        _ => "gauge",
    };

    private void WriteHistogramSeries(string name, SeriesPoint series)
    {
        var bounds = series.Bounds ?? [];
        var counts = series.CumulativeCounts ?? [];
        for (var i = 0; i < counts.Length; i++)
        {
            var le = i < bounds.Length ? FormatDouble(bounds[i]) : "+Inf";
            WriteSample(name, "_bucket", series.Labels, le, counts[i]);
        }

        WriteSample(name, "_sum", series.Labels, null, series.Value);
        WriteSample(name, "_count", series.Labels, null, series.Count);
    }

    private void WriteSample(string name, string suffix, string labels, string? le, double value)
    {
        output.Append(name).Append(suffix);
        if (labels.Length > 0 || le is not null)
        {
            output.Append('{').Append(labels);
            if (le is not null)
            {
                output.Append(labels.Length > 0 ? ",le=\"" : "le=\"").Append(le).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ');
        AppendDouble(value);
        output.Append('\n');
    }

    private void AppendDouble(double value)
    {
        if (!double.IsFinite(value))
        {
            output.Append(FormatDouble(value));
            return;
        }

        // Format into a stack buffer: a scrape writes thousands of numbers.
        Span<char> buffer = stackalloc char[32];
        if (value.TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture))
        {
            output.Append(buffer[..written]);
        }
        else
        {
            output.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
