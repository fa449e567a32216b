using System.Globalization;

namespace Platform.Api.Benchmarks;

/// <summary>Reads single samples out of the Prometheus text exposition format.</summary>
internal static class PrometheusSample
{
    /// <summary>
    /// The value of the first sample line <c>name{labels} value [timestamp]</c> named exactly
    /// <paramref name="name"/> that carries <paramref name="label"/> (if given); null when there is none.
    /// </summary>
    public static double? Find(string exposition, string name, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        foreach (var rawLine in exposition.AsSpan().EnumerateLines())
        {
            var line = rawLine.Trim();
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length)
            {
                continue;
            }

            var rest = line[name.Length..];
            if (rest[0] == '{')
            {
                var close = rest.LastIndexOf('}');
                if (close < 0 || (label is not null && !rest[..close].Contains(label, StringComparison.Ordinal)))
                {
                    continue;
                }

                rest = rest[(close + 1)..];
            }
            else if (rest[0] != ' ' || label is not null)
            {
                // Another metric whose name starts with this one, or no labels where one was required.
                continue;
            }

            rest = rest.TrimStart();
            var end = rest.IndexOf(' ');
            var value = end < 0 ? rest : rest[..end];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        return null;
    }
}
