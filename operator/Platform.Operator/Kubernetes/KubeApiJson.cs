using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// The JSON settings the client writes with: <see cref="KubeJson.Options"/>, with every DateTimeOffset written as
/// UTC RFC 3339 with exactly six fractional digits ("2026-11-21T23:05:08.123456Z").
/// </summary>
/// <remarks>
/// The API server parses MicroTime fields (Lease acquireTime/renewTime) with Go's layout
/// "2006-01-02T15:04:05.000000Z07:00", which demands exactly six digits; the default "…08.1234567+00:00" is
/// rejected. Time fields accept any fraction, so one format serves both.
/// </remarks>
public static class KubeApiJson
{
    public static readonly JsonSerializerOptions Options = new(KubeJson.Options)
    {
        Converters = { new MicroTimeConverter() },
    };

    private sealed class MicroTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
    }
}
