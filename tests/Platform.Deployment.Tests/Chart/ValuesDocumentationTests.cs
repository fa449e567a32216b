using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// values.yaml documents every key (a `## @param` line for each leaf), the README's parameter tables, generated from
/// them by @bitnami/readme-generator-for-helm, list every leaf with its default, and
/// values.schema.json describes exactly the keys values.yaml has, with every object closed.
/// </summary>
public sealed partial class ValuesDocumentationTests
{
    private static string ValuesPath => Path.Combine(PlatformChart.Directory, "values.yaml");

    private static JsonObject Values => Yaml.Document(File.ReadAllText(ValuesPath))!.AsObject();

    [Fact]
    public void Every_leaf_of_values_yaml_has_its_param_line_and_every_block_a_comment_right_above_it()
    {
        var lines = File.ReadAllLines(ValuesPath);
        var leaves = Leaves(Values, "").Select(l => l.Path).ToHashSet(StringComparer.Ordinal);
        var path = new List<(int Indent, string Key)>();
        var problems = new List<string>();
        var checkedLeaves = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var key = Key().Match(lines[i]);
            if (!key.Success)
            {
                continue;
            }
            var indent = key.Groups[1].Value.Length;
            path.RemoveAll(p => p.Indent >= indent);
            path.Add((indent, key.Groups[2].Value));
            var full = string.Join('.', path.Select(p => p.Key));
            var above = i > 0 ? lines[i - 1] : "";
            if (leaves.Contains(full))
            {
                checkedLeaves++;
                // The comment block right above the key (same indentation) holds its @param line; yamllint's line
                // length puts a long explanation on plain "#" lines after it.
                var j = i - 1;
                while (j >= 0 && lines[j].StartsWith(key.Groups[1].Value + "# ", StringComparison.Ordinal))
                {
                    j--;
                }
                if (j < 0 || !lines[j].StartsWith($"{key.Groups[1].Value}## @param {full} ", StringComparison.Ordinal))
                {
                    problems.Add($"line {i + 1}: {full} needs `## @param {full} <description>` in the comment block right above it");
                }
            }
            else if (!above.TrimStart().StartsWith('#'))
            {
                problems.Add($"line {i + 1}: the block {full} needs a comment right above it");
            }
        }
        Assert.Empty(problems);
        Assert.Equal(leaves.Count, checkedLeaves);
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
            // The generator writes a string as it is ("" when empty), anything else as JSON.
            var expected = value?.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text ? text : value?.ToJsonString() ?? "nil";
            Assert.True(expected == rows[path].Value, $"{path}: README says {rows[path].Value}, values.yaml has {value?.ToJsonString() ?? "null"}");
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
        var generator = Path.Combine(folder, "node_modules", "@bitnami", "readme-generator-for-helm", "bin", "index.js");
        Assert.True(File.Exists(generator), $"{generator} is missing: run scripts/install-tools.sh");
        // The generator rewrites the README in place: give it a copy.
        var work = Directory.CreateTempSubdirectory("platform-readme-").FullName;
        try
        {
            var readme = Path.Combine(work, "README.md");
            File.Copy(Path.Combine(PlatformChart.Directory, "README.md"), readme);

            var result = await ToolRun.RunAsync(RequiredTool.Find("node"), [generator, "--values", ValuesPath, "--readme", readme], workingDirectory: folder);

            Assert.True(result.ExitCode == 0, result.Describe());
            var committed = File.ReadAllText(Path.Combine(PlatformChart.Directory, "README.md"));
            Assert.True(committed == File.ReadAllText(readme),
                "charts/platform/README.md's parameter tables are not what values.yaml generates: run `npm run readme --prefix charts/tests` and commit the result");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
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

    [GeneratedRegex(@"^(\s*)([A-Za-z_][A-Za-z0-9_]*):")]
    private static partial Regex Key();

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z0-9_.]+)` +\| (?<description>.*?) +\| `(?<value>.*)` +\|$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
