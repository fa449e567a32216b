using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.SpecGen;

/// <summary>The files the generator owns a part of, as they should be: the CRD and the chart's values schema.</summary>
public static class SpecFiles
{
    public const string Command = "dotnet run --project tools/Platform.SpecGen";

    public static readonly string CrdFile = Path.Combine("charts", "platform", "crds", "threadpoolautoscalers.autoscaling.platform.dev.yaml");

    public static readonly string ValuesSchemaFile = Path.Combine("charts", "platform", "values.schema.json");

    private const string SchemaKey = "openAPIV3Schema";

    /// <summary>Each file (relative to the repository) with the generated parts put in; everything else is kept.</summary>
    public static IReadOnlyList<(string File, string Content)> Generate(string repositoryRoot) =>
    [
        (CrdFile, SpliceCrd(File.ReadAllText(Path.Combine(repositoryRoot, CrdFile)))),
        (ValuesSchemaFile, SpliceValuesSchema(File.ReadAllText(Path.Combine(repositoryRoot, ValuesSchemaFile)))),
    ];

    /// <summary>
    /// Replaces the openAPIV3Schema block (its line and everything indented deeper below it). The rest of the file,
    /// names, printer columns and subresources, is written by hand.
    /// </summary>
    public static string SpliceCrd(string crd)
    {
        var lines = crd.Split('\n').ToList();
        var start = lines.FindIndex(l => l.TrimStart() == $"{SchemaKey}:");
        if (start < 0)
        {
            throw new InvalidOperationException($"{CrdFile} has no {SchemaKey}: line to replace");
        }
        var indent = lines[start].Length - lines[start].TrimStart().Length;
        var end = start + 1;
        while (end < lines.Count && (lines[end].Trim().Length == 0 || lines[end].Length - lines[end].TrimStart().Length > indent))
        {
            end++;
        }
        var generated = SchemaYaml.Write(SchemaKey, SpecSchema.Crd(), indent).TrimEnd('\n').Split('\n');
        var trailing = end == lines.Count ? [""] : lines[end..];
        return string.Join('\n', lines[..start].Concat(generated).Concat(trailing));
    }

    /// <summary>Replaces properties.operator.properties.autoscaler; the rest of the schema is written by hand.</summary>
    public static string SpliceValuesSchema(string json)
    {
        var schema = JsonNode.Parse(json)!.AsObject();
        var operatorSchema = schema["properties"]?["operator"]?["properties"] as JsonObject
            ?? throw new InvalidOperationException($"{ValuesSchemaFile} has no properties.operator.properties");
        operatorSchema["autoscaler"] = SpecSchema.ChartAutoscaler();
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
