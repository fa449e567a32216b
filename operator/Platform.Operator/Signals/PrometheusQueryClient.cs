using System.Globalization;
using System.Text.Json;

namespace Platform.Operator.Signals;

/// <summary>An instant-vector sample: its labels, value and timestamp.</summary>
public sealed record VectorSample(IReadOnlyDictionary<string, string> Labels, double Value, DateTimeOffset Timestamp);

/// <summary>Prometheus's HTTP query API, instant queries only: all the operator needs.</summary>
public sealed class PrometheusQueryClient(HttpClient http)
{
    public async Task<IReadOnlyList<VectorSample>> QueryAsync(Uri baseUri, string promql, CancellationToken cancellationToken)
    {
        var uri = new Uri(baseUri, "api/v1/query?query=" + Uri.EscapeDataString(promql));
        using var response = await http.GetAsync(uri, cancellationToken);
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = body.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new PrometheusQueryException($"Prometheus rejected '{promql}': {root.GetProperty("error").GetString()}");
        }
        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() != "vector")
        {
            throw new PrometheusQueryException($"Expected a vector from '{promql}'.");
        }
        var samples = new List<VectorSample>();
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var value = item.GetProperty("value");
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(value[0].GetDouble() * 1000));
            samples.Add(new VectorSample(labels, ParseValue(value[1].GetString()), time));
        }
        return samples;
    }

    private static double ParseValue(string? value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" or null => double.NaN,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };
}

public sealed class PrometheusQueryException(string message) : Exception(message);
