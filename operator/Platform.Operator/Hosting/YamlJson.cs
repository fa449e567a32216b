using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Operator.Hosting;

/// <summary>
/// YAML manifests to JSON, so a manifest read from a file goes through the same JSON model as one read
/// from the API server. Plain scalars that look like numbers, booleans or null become those; quoted
/// scalars stay strings, as in Kubernetes.
/// </summary>
public static class YamlJson
{
    public static IReadOnlyList<JsonNode?> ConvertDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"Invalid YAML at line {ex.Start.Line}: {ex.Message}", ex);
        }
        return stream.Documents.Select(d => Convert(d.RootNode)).ToList();
    }

    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", Convert(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(text);
        }
        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !text.StartsWith('.') => JsonValue.Create(number),
            _ => JsonValue.Create(text),
        };
    }
}
