using System.Text.RegularExpressions;

namespace Platform.Observability.Tests.Rules;

/// <summary>
/// Just enough PromQL reading to find the metric names an expression selects, and its range selectors.
/// Not a parser: Prometheus itself parses every expression in the rule and proof tests.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
        "atan2", "inf", "nan", "start", "end",
    };

    /// <summary>Names of the series an expression selects (function names, labels and keywords excluded).</summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = StringLiteral().Replace(expression, "\"\"");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = LabelList().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifier().Matches(text))
        {
            var rest = text.AsSpan(match.Index + match.Length).TrimStart();
            if (!rest.StartsWith("(") && !Keywords.Contains(match.Value))
            {
                names.Add(match.Value);
            }
        }
        return names;
    }

    /// <summary>The text inside every [...] of the expression: range selectors and subqueries.</summary>
    public static IReadOnlyList<string> Ranges(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = StringLiteral().Replace(expression, "\"\"");
        return [.. RangeOrSubquery().Matches(text).Select(m => m.Groups[1].Value.Trim())];
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[([^\[\]]*)\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex LabelList();

    // Not preceded by a word character, '.', '$' or ':' (numbers such as 1e3, Grafana variables, parts of names).
    [GeneratedRegex(@"(?<![\w.$:])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
