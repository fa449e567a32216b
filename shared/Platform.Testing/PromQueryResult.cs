using System.Globalization;
using System.Text.Json;

namespace Platform.Testing;

/// <summary>
/// A Prometheus query API response. PromQL errors come back as <see cref="Status"/> "error" with
/// <see cref="ErrorType"/> and <see cref="Error"/> rather than as exceptions.
/// </summary>
public sealed record PromQueryResult(
    string Status,
    string? ResultType,
    string? ErrorType,
    string? Error,
    IReadOnlyList<PromSample> Samples,
    IReadOnlyList<PromSeries> Series,
    double? Scalar,
    string RawJson)
{
    public bool IsSuccess => Status == "success";

    public override string ToString() => RawJson;

    public static PromQueryResult Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string? resultType = null;
        double? scalar = null;
        IReadOnlyList<PromSample> samples = [];
        IReadOnlyList<PromSeries> series = [];
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            resultType = data.GetProperty("resultType").GetString();
            var result = data.GetProperty("result");
            switch (resultType)
            {
                case "vector":
                    samples = [.. result.EnumerateArray().Select(item => new PromSample(ReadLabels(item), ReadPoint(item.GetProperty("value")).Value))];
                    break;
                case "matrix":
                    series = [.. result.EnumerateArray().Select(item =>
                        new PromSeries(ReadLabels(item), [.. item.GetProperty("values").EnumerateArray().Select(ReadPoint)]))];
                    break;
                case "scalar":
                    scalar = ReadPoint(result).Value;
                    break;
            }
        }

        return new PromQueryResult(
            root.GetProperty("status").GetString() ?? "",
            resultType,
            ReadOptionalString(root, "errorType"),
            ReadOptionalString(root, "error"),
            samples,
            series,
            scalar,
            json);
    }

    private static Dictionary<string, string> ReadLabels(JsonElement item) =>
        item.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString() ?? "", StringComparer.Ordinal);

    // Prometheus encodes a point as [unixSeconds, "value"].
    private static PromPoint ReadPoint(JsonElement pair) =>
        new(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(pair[0].GetDouble() * 1000)), ParseValue(pair[1].GetString() ?? ""));

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string? ReadOptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;
}

public sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);

public sealed record PromSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<PromPoint> Points);

public sealed record PromPoint(DateTimeOffset Time, double Value);

/// <summary>One active scrape target as reported by /api/v1/targets.</summary>
public sealed record TargetHealth(string Job, string ScrapeUrl, string Health, string LastError)
{
    public bool IsUp => Health == "up";
}
