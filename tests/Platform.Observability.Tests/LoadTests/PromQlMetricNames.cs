using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>
/// Metric names in a PromQL expression, and whether the metrics contract (or k6's remote write) defines them.
/// A lexer, not a parser: label matchers, ranges and strings are skipped; identifiers followed by "(" are
/// functions; aggregation operators, keywords and label lists after by/without/on/ignoring/group_* are not
/// names. What is left is a metric name.
/// </summary>
public static partial class PromQlMetricNames
{
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    };

    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right" };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "bool", "offset", "and", "or", "unless", "atan2", "inf", "nan", "Inf", "NaN" };

    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    public static IReadOnlyList<string> Extract(string promql)
    {
        var names = new List<string>();
        var i = 0;
        while (i < promql.Length)
        {
            var c = promql[i];
            if (c is '"' or '\'' or '`')
            {
                i = promql.IndexOf(c, i + 1) is var end and >= 0 ? end + 1 : promql.Length;
            }
            else if (c is '{' or '[')
            {
                var close = c == '{' ? '}' : ']';
                i = SkipTo(promql, i, close);
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < promql.Length && char.IsAsciiDigit(promql[i + 1])))
            {
                while (i < promql.Length && (char.IsAsciiLetterOrDigit(promql[i]) || promql[i] == '.')) i++;
            }
            else if (char.IsAsciiLetter(c) || c is '_' or ':')
            {
                var start = i;
                while (i < promql.Length && (char.IsAsciiLetterOrDigit(promql[i]) || promql[i] is '_' or ':')) i++;
                var word = promql[start..i];
                var after = NextNonSpace(promql, i);
                if (LabelListKeywords.Contains(word))
                {
                    if (after < promql.Length && promql[after] == '(') i = SkipTo(promql, after, ')');
                }
                else if (!Aggregations.Contains(word) && !Keywords.Contains(word) && !(after < promql.Length && promql[after] == '('))
                {
                    names.Add(word);
                }
            }
            else
            {
                i++;
            }
        }
        return names;
    }

    /// <summary>
    /// Null when <paramref name="name"/> is a contract metric (a histogram's _bucket/_sum/_count included),
    /// a k6_* series from remote write, or <c>up</c>; otherwise why not.
    /// </summary>
    public static string? Problem(string name)
    {
        if (name == "up" || name.StartsWith("k6_", StringComparison.Ordinal)) return null;
        var contract = MetricsContract.Metrics;
        if (contract.Any(m => m.Name == name && m.Type != "histogram")) return null;
        foreach (var suffix in HistogramSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && contract.Any(m => m.Type == "histogram" && m.Name == name[..^suffix.Length]))
            {
                return null;
            }
        }
        return contract.Any(m => m.Name == name)
            ? $"'{name}' is a histogram in the contract: query its _bucket, _sum or _count series"
            : $"'{name}' is not in docs/metrics-contract.md";
    }

    /// <summary>Tokens that name platform metrics by their prefix, wherever they appear in text.</summary>
    public static IEnumerable<string> PrefixedNames(string text) =>
        PlatformPrefixed().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"\b(?:platform|dotnet|http_server|http_client|kestrel|aspnetcore)_[a-z0-9_]*[a-z0-9]")]
    private static partial Regex PlatformPrefixed();

    private static int SkipTo(string text, int open, char close)
    {
        var end = text.IndexOf(close, open + 1);
        return end < 0 ? text.Length : end + 1;
    }

    private static int NextNonSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return i;
    }
}
