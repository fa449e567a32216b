using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Platform.SpecGen;

/// <summary>
/// Writes a schema as block YAML the way the CRD file was written by hand: enums as flow lists, other lists as
/// blocks, strings plain where YAML reads them back unchanged and single-quoted otherwise.
/// </summary>
public static partial class SchemaYaml
{
    public static string Write(string key, JsonObject node, int indent)
    {
        var text = new StringBuilder();
        Entry(text, key, node, indent);
        return text.ToString();
    }

    private static void Entry(StringBuilder text, string key, JsonNode? value, int indent)
    {
        var pad = new string(' ', indent);
        switch (value)
        {
            case JsonObject { Count: 0 }:
                text.Append(pad).Append(key).Append(": {}\n");
                break;
            case JsonObject map:
                text.Append(pad).Append(key).Append(":\n");
                Members(text, map, indent + 2);
                break;
            case JsonArray list when key == "enum":
                text.Append(pad).Append(key).Append(": [")
                    .AppendJoin(", ", list.Select(v => v!.ToJsonString())).Append("]\n");
                break;
            case JsonArray list:
                text.Append(pad).Append(key).Append(":\n");
                foreach (var item in list)
                {
                    if (item is JsonObject member)
                    {
                        // "- " then the first member on the same line; the rest align under it.
                        var nested = new StringBuilder();
                        Members(nested, member, indent + 4);
                        text.Append(pad).Append("  - ").Append(nested.ToString().TrimStart(' '));
                    }
                    else
                    {
                        text.Append(pad).Append("  - ").Append(Scalar(item)).Append('\n');
                    }
                }
                break;
            default:
                text.Append(pad).Append(key).Append(": ").Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void Members(StringBuilder text, JsonObject map, int indent)
    {
        foreach (var (key, value) in map)
        {
            Entry(text, key, value, indent);
        }
    }

    private static string Scalar(JsonNode? value)
    {
        if (value is null)
        {
            return "null";
        }
        if (value.GetValueKind() != JsonValueKind.String)
        {
            return value.ToJsonString();
        }
        var text = value.GetValue<string>();
        var plain = Plain().IsMatch(text)
            && !text.Contains(": ", StringComparison.Ordinal) && !text.Contains(" #", StringComparison.Ordinal)
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !Reserved().IsMatch(text);
        return plain ? text : $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 .,;:()/_+'=-]*[A-Za-z0-9.)]$|^[A-Za-z0-9]$")]
    private static partial Regex Plain();

    [GeneratedRegex("^(?i:true|false|yes|no|on|off|null|y|n)$")]
    private static partial Regex Reserved();
}
