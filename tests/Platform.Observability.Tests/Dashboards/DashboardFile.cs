using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Observability.Tests.Dashboards;

/// <summary>When a panel is expected to have data; declared by the last line of its description (see dashboards/README.md).</summary>
public enum DataExpectation
{
    /// <summary>No marker: the CI proof must find data.</summary>
    Always,

    /// <summary>"Data: cluster only (reason)."</summary>
    ClusterOnly,

    /// <summary>"Data: k6 run only (reason)."</summary>
    K6RunOnly,
}

public sealed record PanelQuery(string RefId, string Expr);

public sealed record DashboardPanel(
    JsonObject Json, int? Id, string Title, string Type, string Description, string? Unit, DataExpectation Expectation,
    string? MarkerError, IReadOnlyList<PanelQuery> Queries);

public sealed record DashboardAnnotation(JsonObject Json, string Name, bool BuiltIn, string Expr);

public sealed record DashboardVariable(JsonObject Json, string Name, string Type, string? Query, bool IncludeAll, string? AllValue);

/// <summary>One file of dashboards/, read with System.Text.Json; rows are flattened (collapsed rows keep their panels inside).</summary>
public sealed partial class DashboardFile
{
    private DashboardFile(string path, JsonObject root)
    {
        Path = path;
        Root = root;
        var panels = new List<DashboardPanel>();
        var rows = new List<JsonObject>();
        foreach (var node in Array(root, "panels"))
        {
            if (Text(node, "type") == "row")
            {
                rows.Add(node);
                panels.AddRange(Array(node, "panels").Select(ReadPanel));
            }
            else
            {
                panels.Add(ReadPanel(node));
            }
        }
        Panels = panels;
        Rows = rows;
        Annotations = [.. Array(root["annotations"] as JsonObject, "list").Select(a => new DashboardAnnotation(
            a,
            Text(a, "name") ?? "",
            a["builtIn"] is not null,
            Text(a["target"] as JsonObject, "expr") ?? Text(a, "expr") ?? ""))];
        Variables = [.. Array(root["templating"] as JsonObject, "list").Select(v => new DashboardVariable(
            v,
            Text(v, "name") ?? "",
            Text(v, "type") ?? "",
            v["query"] is JsonObject query ? Text(query, "query") : Text(v, "query"),
            v["includeAll"]?.GetValue<bool>() ?? false,
            Text(v, "allValue")))];
    }

    public static string DirectoryPath => RepositoryPaths.Combine("dashboards");

    public static IReadOnlyList<string> Paths => [.. Directory.GetFiles(DirectoryPath, "*.json").Order(StringComparer.Ordinal)];

    public string Path { get; }

    public string Stem => System.IO.Path.GetFileNameWithoutExtension(Path);

    public JsonObject Root { get; }

    public IReadOnlyList<DashboardPanel> Panels { get; }

    public IReadOnlyList<JsonObject> Rows { get; }

    public IReadOnlyList<DashboardAnnotation> Annotations { get; }

    public IReadOnlyList<DashboardVariable> Variables { get; }

    public string Title => Text(Root, "title") ?? "";

    public static DashboardFile Load(string path) =>
        new(path, JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object."));

    public static DashboardFile LoadByStem(string stem) => Load(System.IO.Path.Combine(DirectoryPath, stem + ".json"));

    /// <summary>Every PromQL expression of the dashboard with where it comes from: panel targets, annotations, variable queries.</summary>
    public IEnumerable<(string Where, string Expr)> Expressions() =>
        Panels.SelectMany(p => p.Queries.Select(q => ($"panel '{p.Title}' {q.RefId}", q.Expr)))
            .Concat(Annotations.Where(a => !a.BuiltIn).Select(a => ($"annotation '{a.Name}'", a.Expr)))
            .Concat(Variables.Where(v => v.Type == "query" && v.Query is not null).Select(v => ($"variable {v.Name}", LabelValuesSelector(v.Query!) ?? v.Query!)));

    /// <summary>The series selector of label_values(selector, label), or null for other variable queries.</summary>
    public static string? LabelValuesSelector(string query) =>
        LabelValues().Match(query) is { Success: true } m && m.Groups["selector"].Success ? m.Groups["selector"].Value : null;

    /// <summary>The label of label_values(...), or null.</summary>
    public static string? LabelValuesLabel(string query) =>
        LabelValues().Match(query) is { Success: true } m ? m.Groups["label"].Value : null;

    internal static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static IEnumerable<JsonObject> Array(JsonObject? node, string name) =>
        (node?[name] as JsonArray ?? []).OfType<JsonObject>();

    private static DashboardPanel ReadPanel(JsonObject panel)
    {
        var description = Text(panel, "description") ?? "";
        var (expectation, error) = ReadMarker(description);
        return new DashboardPanel(
            panel,
            panel["id"] is JsonValue id && id.TryGetValue<int>(out var number) ? number : null,
            Text(panel, "title") ?? "",
            Text(panel, "type") ?? "",
            description,
            Text((panel["fieldConfig"] as JsonObject)?["defaults"] as JsonObject, "unit"),
            expectation,
            error,
            [.. Array(panel, "targets").Select(t => new PanelQuery(Text(t, "refId") ?? "", Text(t, "expr") ?? ""))]);
    }

    /// <summary>
    /// The marker is the description's last line, "Data: cluster only (reason)." or "Data: k6 run only (reason).";
    /// a "Data:" line anywhere else, or in another form, is an error.
    /// </summary>
    private static (DataExpectation, string?) ReadMarker(string description)
    {
        var lines = description.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var markers = lines.Select((line, index) => (line, index)).Where(x => x.line.StartsWith("Data:", StringComparison.Ordinal)).ToList();
        if (markers.Count == 0)
        {
            return (DataExpectation.Always, null);
        }
        if (markers.Count > 1 || markers[0].index != lines.Length - 1)
        {
            return (DataExpectation.Always, "the \"Data:\" marker must be the description's last line, once");
        }
        var match = Marker().Match(markers[0].line);
        if (!match.Success)
        {
            return (DataExpectation.Always, $"unknown marker '{markers[0].line}': use \"Data: cluster only (reason).\" or \"Data: k6 run only (reason).\"");
        }
        return (match.Groups["kind"].Value == "cluster only" ? DataExpectation.ClusterOnly : DataExpectation.K6RunOnly, null);
    }

    [GeneratedRegex(@"^Data: (?<kind>cluster only|k6 run only) \(.{10,}\)\.?$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*label_values\(\s*(?:(?<selector>.+),\s*)?(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValues();
}
