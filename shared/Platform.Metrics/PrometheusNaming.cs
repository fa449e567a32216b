using System.Globalization;
using System.Text;

namespace Platform.Metrics;

/// <summary>
/// Maps OpenTelemetry-style instrument names, units and attributes to Prometheus metric and label
/// names, following the OpenTelemetry to Prometheus compatibility rules.
/// </summary>
internal static class PrometheusNaming
{
    private const string TotalSuffix = "_total";

    // UCUM units (as used by OpenTelemetry semantic conventions) to Prometheus unit words.
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days",
        ["h"] = "hours",
        ["min"] = "minutes",
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["GiBy"] = "gibibytes",
        ["TiBy"] = "tibibytes",
        ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes",
        ["GBy"] = "gigabytes",
        ["TBy"] = "terabytes",
        ["m"] = "meters",
        ["V"] = "volts",
        ["A"] = "amperes",
        ["J"] = "joules",
        ["W"] = "watts",
        ["g"] = "grams",
        ["Cel"] = "celsius",
        ["Hz"] = "hertz",
        ["%"] = "percent",
    };

    // The denominator of a rate unit reads as a singular word: "By/s" is bytes_per_second.
    private static readonly Dictionary<string, string> PerUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second",
        ["m"] = "minute",
        ["h"] = "hour",
        ["d"] = "day",
        ["w"] = "week",
        ["mo"] = "month",
        ["y"] = "year",
    };

    /// <summary>The metric family name for an instrument exported as <paramref name="type"/>.</summary>
    public static string GetMetricName(string instrumentName, string? unit, PrometheusMetricType type)
    {
        var name = SanitizeMetricName(instrumentName);
        var isCounter = type == PrometheusMetricType.Counter;

        // Strip _total first so the unit lands before it: "cpu.time_total" in "s" -> cpu_time_seconds_total.
        if (isCounter && name.Length > TotalSuffix.Length && name.EndsWith(TotalSuffix, StringComparison.Ordinal))
        {
            name = name[..^TotalSuffix.Length];
        }

        var unitSuffix = GetUnitSuffix(unit, type);
        if (unitSuffix.Length > 0 && !name.EndsWith("_" + unitSuffix, StringComparison.Ordinal) && name != unitSuffix)
        {
            name = AppendWord(name, unitSuffix);
        }

        return isCounter ? AppendWord(name, "total") : name;
    }

    /// <summary>
    /// The name suffix for a UCUM unit: empty for no unit, dimensionless "1" (except gauges: "ratio")
    /// and pure annotations like "{request}".
    /// </summary>
    public static string GetUnitSuffix(string? unit, PrometheusMetricType type)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        var plain = RemoveAnnotations(unit).Trim();
        if (plain.Length == 0)
        {
            return string.Empty;
        }

        if (plain == "1")
        {
            return type == PrometheusMetricType.Gauge ? "ratio" : string.Empty;
        }

        var slash = plain.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return MapUnit(plain);
        }

        var numerator = plain[..slash].Trim();
        var denominator = plain[(slash + 1)..].Trim();
        var numeratorWord = numerator.Length == 0 || numerator == "1" ? string.Empty : MapUnit(numerator);
        var denominatorWord = denominator.Length == 0
            ? string.Empty
            : PerUnits.TryGetValue(denominator, out var per) ? per : MapUnit(denominator);

        if (denominatorWord.Length == 0)
        {
            return numeratorWord;
        }

        return numeratorWord.Length == 0 ? "per_" + denominatorWord : numeratorWord + "_per_" + denominatorWord;
    }

    /// <summary>
    /// Every char outside [a-zA-Z0-9_:] becomes '_', runs of '_' collapse, a leading digit gets a '_' prefix.
    /// </summary>
    public static string SanitizeMetricName(string name)
    {
        var sanitized = ReplaceInvalidAndCollapse(name, allowColon: true);
        if (sanitized.Length == 0)
        {
            return "_";
        }

        return char.IsAsciiDigit(sanitized[0]) ? "_" + sanitized : sanitized;
    }

    /// <summary>
    /// An attribute key as a label name: sanitised like metric names (without ':', which labels may
    /// not contain); keys that would start with the reserved "__" get a "key_" prefix.
    /// </summary>
    public static string SanitizeLabelName(string key)
    {
        if (key.Length == 0)
        {
            return "_";
        }

        var replaced = new StringBuilder(key.Length + 4);
        foreach (var c in key)
        {
            replaced.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        var text = replaced.ToString();
        if (text.StartsWith("__", StringComparison.Ordinal))
        {
            text = "key_" + text.TrimStart('_');
        }

        var collapsed = ReplaceInvalidAndCollapse(text, allowColon: false);
        return char.IsAsciiDigit(collapsed[0]) ? "_" + collapsed : collapsed;
    }

    /// <summary>The label value text of an attribute value (before escaping).</summary>
    public static string FormatLabelValue(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        double d => PrometheusTextWriter.FormatDouble(d),
        float f => float.IsFinite(f) ? f.ToString("R", CultureInfo.InvariantCulture) : PrometheusTextWriter.FormatDouble(f),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string MapUnit(string unit) =>
        Units.TryGetValue(unit, out var word) ? word : SanitizeUnitWord(unit);

    // Unknown units are appended as they are, made name-safe and without stray underscores.
    private static string SanitizeUnitWord(string unit) => ReplaceInvalidAndCollapse(unit, allowColon: false).Trim('_');

    private static string RemoveAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit;
        }

        var result = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static string AppendWord(string name, string word) =>
        name.EndsWith('_') ? name + word : name + "_" + word;

    private static string ReplaceInvalidAndCollapse(string text, bool allowColon)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var mapped = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_';
            if (mapped == '_' && result.Length > 0 && result[^1] == '_')
            {
                continue;
            }

            result.Append(mapped);
        }

        return result.ToString();
    }
}
