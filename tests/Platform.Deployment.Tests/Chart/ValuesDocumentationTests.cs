using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// values.yaml documents every key, the README's parameter table lists every leaf with its default, and
/// values.schema.json describes exactly the keys values.yaml has, with every object closed.
/// </summary>
public sealed partial class ValuesDocumentationTests
{
    private static string ValuesPath => Path.Combine(PlatformChart.Directory, "values.yaml");

    private static JsonObject Values => Yaml.Document(File.ReadAllText(ValuesPath))!.AsObject();

    [Fact]
    public void Every_key_in_values_yaml_has_a_doc_comment_right_above_it()
    {
        var lines = File.ReadAllLines(ValuesPath);
        var undocumented = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var key = Key().Match(lines[i]);
            if (!key.Success)
            {
                continue;
            }
            // Walk up the comment block directly above the key (same indentation) to its "# --" line.
            var indent = key.Groups[1].Value;
            var j = i - 1;
            while (j >= 0 && lines[j].StartsWith(indent + "#", StringComparison.Ordinal) && !lines[j].StartsWith(indent + "# --", StringComparison.Ordinal))
            {
                j--;
            }
            if (j < 0 || !lines[j].StartsWith(indent + "# --", StringComparison.Ordinal))
            {
                undocumented.Add($"line {i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.Empty(undocumented);
    }

    [Fact]
    public void The_readme_parameter_table_lists_every_leaf_of_values_yaml_with_its_default()
    {
        var readme = File.ReadAllText(Path.Combine(PlatformChart.Directory, "README.md"));
        var rows = Row().Matches(readme).ToDictionary(m => m.Groups["name"].Value, m => (Description: m.Groups["description"].Value.Trim(), Value: m.Groups["value"].Value));
        var leaves = Leaves(Values, "").ToDictionary(l => l.Path, l => l.Value);

        Assert.Equal(leaves.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, value) in leaves)
        {
            Assert.False(string.IsNullOrWhiteSpace(rows[path].Description), $"{path} has no description in the README");
            var documented = JsonNode.Parse(rows[path].Value);
            Assert.True(JsonNode.DeepEquals(value, documented), $"{path}: README says {rows[path].Value}, values.yaml has {value?.ToJsonString() ?? "null"}");
        }
    }

    [Fact]
    public void The_values_schema_describes_exactly_the_keys_of_values_yaml_and_closes_every_object()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(PlatformChart.Directory, "values.schema.json")))!.AsObject();

        Assert.Equal("http://json-schema.org/draft-07/schema#", schema["$schema"]!.GetValue<string>());
        var problems = new List<string>();
        Compare(Values, schema, schema, "", problems);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_readme_generator_finds_nothing_to_change()
    {
        var folder = RequiredTool.ChartTestsFolder();

        var result = await ToolRun.RunAsync(RequiredTool.Find("node"), [Path.Combine(folder, "readme-params.mjs"), "--check"], workingDirectory: folder);

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    /// <summary>A leaf is a scalar, a list or an empty map: what a user sets as a whole.</summary>
    private static IEnumerable<(string Path, JsonNode? Value)> Leaves(JsonObject map, string prefix)
    {
        foreach (var (key, value) in map)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject child && child.Count > 0)
            {
                foreach (var leaf in Leaves(child, path))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (path, value);
            }
        }
    }

    private static void Compare(JsonNode? value, JsonObject schema, JsonObject root, string path, List<string> problems)
    {
        schema = Resolve(schema, root);
        if (value is not JsonObject map || map.Count == 0)
        {
            return;
        }
        if (schema["properties"] is not JsonObject properties)
        {
            problems.Add($"{Display(path)}: the schema has no properties for this object");
            return;
        }
        if (schema["additionalProperties"]?.GetValue<bool>() != false)
        {
            problems.Add($"{Display(path)}: the schema leaves this object open (additionalProperties is not false)");
        }
        foreach (var (key, child) in map)
        {
            if (properties[key] is not JsonObject childSchema)
            {
                problems.Add($"{Display(path)}.{key}: in values.yaml but not in the schema");
                continue;
            }
            Compare(child, childSchema, root, path.Length == 0 ? key : $"{path}.{key}", problems);
        }
        foreach (var (key, _) in properties)
        {
            if (!map.ContainsKey(key) && !(path.Length == 0 && key == "global"))
            {
                problems.Add($"{Display(path)}.{key}: in the schema but not in values.yaml");
            }
        }
    }

    private static JsonObject Resolve(JsonObject schema, JsonObject root) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? Resolve(root["definitions"]![reference["#/definitions/".Length..]]!.AsObject(), root)
            : schema;

    private static string Display(string path) => path.Length == 0 ? "(root)" : path;

    [GeneratedRegex(@"^(\s*)[A-Za-z_][A-Za-z0-9_]*:")]
    private static partial Regex Key();

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z0-9_.]+)` \| (?<description>.*?) \| `(?<value>.*)` \|$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
