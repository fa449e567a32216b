using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.SpecGen;
using Platform.Testing;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The ThreadPoolAutoscaler spec has one source, the attributes on its C# types: the CRD's openAPIV3Schema and the
/// chart's operator.autoscaler values schema are generated from them, and SpecValidator reads them. These tests keep
/// the committed files equal to what the generator writes, and prove the API server's schema and the operator's
/// validator accept and refuse the same values, field by field.
/// </summary>
public sealed partial class SpecSchemaTests
{
    [Fact]
    public void The_committed_CRD_schema_and_values_schema_block_are_what_the_spec_types_generate()
    {
        foreach (var (file, content) in SpecFiles.Generate(RepositoryPaths.Root))
        {
            var committed = File.ReadAllText(RepositoryPaths.Combine(file));
            Assert.True(committed == content,
                $"{file} is not what the spec types in operator/Platform.Operator/Api generate: run `{SpecFiles.Command}` and commit the result.\n{FirstDifference(committed, content)}");
        }
    }

    [Fact]
    public void The_generated_CRD_yaml_reads_back_as_the_schema_it_was_written_from()
    {
        var crd = Yaml.Document(File.ReadAllText(PlatformChart.CrdFile))!;

        var written = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

        Assert.True(JsonNode.DeepEquals(SpecSchema.Crd(), written), "the YAML writer changed a value on the way");
    }

    [Fact]
    public void The_chart_layout_names_only_spec_fields_that_exist()
    {
        foreach (var (key, specPath) in SpecSchema.ChartAutoscalerLayout)
        {
            var (property, path) = SpecSchema.Navigate(specPath);
            Assert.EndsWith(SpecFields.JsonName(property), path, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(key));
        }
    }

    /// <summary>
    /// The CR template is still written by hand: set every key of the generated values-schema block to a value unlike
    /// its default and find each one at its spec path in the rendered ThreadPoolAutoscaler.
    /// </summary>
    [Fact]
    public async Task The_chart_template_puts_every_values_key_at_its_spec_path()
    {
        var sets = new List<(string ValuesPath, string SpecPath, JsonNode Value)>();
        foreach (var (key, specPath) in SpecSchema.ChartAutoscalerLayout)
        {
            var schema = SpecSchema.ChartAutoscaler()["properties"]![key]!.AsObject();
            foreach (var (suffix, leaf) in schema["properties"] is JsonObject children
                ? children.Select(c => ($".{c.Key}", c.Value!.AsObject()))
                : [("", schema)])
            {
                sets.Add(($"operator.autoscaler.{key}{suffix}", $"{specPath}{suffix}", Distinct(leaf)));
            }
        }

        // --set-json: plain --set would turn 0.125 into a string.
        var arguments = sets.SelectMany(s => new[] { "--set-json", $"{s.ValuesPath}={s.Value.ToJsonString()}" }).ToArray();
        var rendering = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, arguments);

        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        var spec = rendering.Single("ThreadPoolAutoscaler", "platform-api").Node["spec"]!;
        var wrong = sets.Where(s => !JsonNode.DeepEquals(s.Value, s.SpecPath.Split('.').Aggregate((JsonNode?)spec, (node, part) => node?[part])))
            .Select(s => $"{s.ValuesPath} = {s.Value.ToJsonString()} is not at spec.{s.SpecPath}").ToList();
        Assert.Empty(wrong);
        Assert.True(sets.Count >= 15, $"only {sets.Count} keys were set");
    }

    /// <summary>A valid value for the field, unlike the chart's defaults: the second enum value, just above the minimum, the middle of a real range.</summary>
    private static JsonNode Distinct(JsonObject schema) => schema["type"]!.GetValue<string>() switch
    {
        "string" when schema["enum"] is JsonArray allowed => allowed[^1]!.DeepClone(),
        "string" => JsonValue.Create("http://prometheus.example:9090"),
        "integer" => JsonValue.Create(Number(schema["minimum"]!) + 1 is var n && n <= Number(schema["maximum"]!) ? (long)n : (long)Number(schema["maximum"]!)),
        "number" => JsonValue.Create(((schema["minimum"] ?? schema["exclusiveMinimum"]) is { } low ? Number(low) : 0) / 2 + Number(schema["maximum"]!) / 4),
        var other => throw new InvalidOperationException($"no sample for {other}"),
    };

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Probes for every bounded field of the CRD's spec schema: each side of every minimum and maximum, every enum
    /// value and one that is not, strings at and beyond their length limits and a few that a pattern may refuse.
    /// Each probe is one custom resource; ajv (charts/tests/validate.mjs) judges it by the CRD's schema, SpecValidator
    /// by the attributes, and they must agree; when they refuse, the validator's error names the field.
    /// </summary>
    [Fact]
    public async Task The_validator_and_the_CRD_schema_accept_and_refuse_the_same_value_for_every_single_field_bound()
    {
        var crd = Yaml.Document(File.ReadAllText(PlatformChart.CrdFile))!;
        var specSchema = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!.AsObject();
        var baseline = JsonNode.Parse(KubernetesJson.Serialize(BaselineResource()))!.AsObject();
        var cases = new List<(string Name, string Path, JsonNode? Value)>();
        foreach (var (path, schema) in Leaves(specSchema, "spec"))
        {
            foreach (var probe in Probes(schema, Navigate(baseline, path)))
            {
                cases.Add(($"case-{cases.Count}", path, probe));
            }
        }
        Assert.True(cases.Count > 80, $"only {cases.Count} probes were generated");

        var documents = new StringBuilder();
        foreach (var (name, path, value) in cases)
        {
            var resource = baseline.DeepClone().AsObject();
            resource["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "platform" };
            Set(resource, path, value);
            documents.Append("---\n").Append(resource.ToJsonString()).Append('\n');
        }
        var folder = RequiredTool.ChartTestsFolder();
        var result = await ToolRun.RunAsync(RequiredTool.Find("node"), [Path.Combine(folder, "validate.mjs"), "--crd", PlatformChart.CrdFile],
            standardInput: documents.ToString(), workingDirectory: folder);
        var verdicts = Verdict().Matches(result.StandardOutput).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["verdict"].Value == "ok");
        Assert.True(verdicts.Count == cases.Count, result.Describe());

        // ajv does not evaluate CEL: a probe may also break a cross-field rule, which only the API server and the
        // validator check. Those errors (the CRD's CEL messages, with the values added) are left out here.
        var crossField = CelMessages(specSchema).ToHashSet(StringComparer.Ordinal);
        var disagreements = new List<string>();
        var refusedPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, path, value) in cases)
        {
            var resource = baseline.DeepClone().AsObject();
            Set(resource, path, value);
            var (_, allErrors) = ValidatorVerdict(resource);
            var errors = allErrors.Where(e => !crossField.Contains(Values().Replace(e, ""))).ToList();
            var accepted = errors.Count == 0;
            var display = $"{path} = {value?.ToJsonString() ?? "null"}";
            if (accepted != verdicts[name])
            {
                disagreements.Add($"{display}: the CRD schema {(verdicts[name] ? "accepts" : "refuses")} it, SpecValidator {(accepted ? "accepts" : "refuses")} it ({string.Join("; ", errors)})");
            }
            else if (!accepted)
            {
                refusedPaths.Add(path);
                if (!errors.All(e => e.StartsWith(path, StringComparison.Ordinal)))
                {
                    disagreements.Add($"{display}: the validator's error does not name the field: {string.Join("; ", errors)}");
                }
            }
        }
        Assert.Empty(disagreements);
        // Every bounded field was refused at least once: the probes reached past each bound.
        Assert.Equal(cases.Select(c => c.Path).Distinct().Order(StringComparer.Ordinal), refusedPaths.Order(StringComparer.Ordinal));
    }

    private static ThreadPoolAutoscaler BaselineResource() => new()
    {
        Spec = new ThreadPoolAutoscalerSpec
        {
            TargetRef = new TargetReference { Name = "api" },
            Prometheus = new PrometheusSource { Url = "http://prometheus:9090" },
            Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "api-admin" } },
        },
    };

    /// <summary>What the operator makes of the resource: a value it cannot even read (an unknown enum name) is refused.</summary>
    private static (bool Accepted, IReadOnlyList<string> Errors) ValidatorVerdict(JsonObject resource)
    {
        try
        {
            var validation = SpecValidator.Validate(KubernetesJson.Deserialize<ThreadPoolAutoscaler>(resource.ToJsonString()).Spec);
            return (validation.IsValid, validation.Errors);
        }
        catch (JsonException ex)
        {
            return (false, [$"{ex.Path?.Replace("$.", "", StringComparison.Ordinal)}: unreadable ({ex.Message})"]);
        }
    }

    private static IEnumerable<JsonNode?> Probes(JsonObject schema, JsonNode? current)
    {
        var type = schema["type"]!.GetValue<string>();
        if (schema["enum"] is JsonArray allowed)
        {
            foreach (var value in allowed)
            {
                yield return value!.DeepClone();
            }
            yield return JsonValue.Create($"Not{allowed[0]!.GetValue<string>()}");
            yield break;
        }
        if (type is "integer" or "number")
        {
            var step = type == "integer" ? 1 : 0.001;
            foreach (var bound in new[] { "minimum", "maximum" })
            {
                if (schema[bound] is { } limit)
                {
                    var value = double.Parse(limit.ToJsonString(), CultureInfo.InvariantCulture);
                    foreach (var probe in new[] { value - step, value, value + step })
                    {
                        yield return type == "integer" ? JsonValue.Create((long)probe) : JsonValue.Create(probe);
                    }
                }
            }
            yield break;
        }
        if (type != "string")
        {
            yield break;
        }
        var start = current?.GetValue<string>() is { Length: > 0 } text ? text : "a";
        yield return JsonValue.Create("");
        foreach (var sample in new[] { "a", "A", "a-", "-a", "a.b", "a b", "http://x", "https://x/y?z", "ftp://x", "x:9090", "/path" })
        {
            yield return JsonValue.Create(sample);
        }
        if (schema["maxLength"] is { } maxLength)
        {
            var length = int.Parse(maxLength.ToJsonString(), CultureInfo.InvariantCulture);
            yield return JsonValue.Create(start.PadRight(length, 'a'));
            yield return JsonValue.Create(start.PadRight(length + 1, 'a'));
        }
    }

    /// <summary>Every field of the spec schema that has a bound a single value can break.</summary>
    private static IEnumerable<(string Path, JsonObject Schema)> Leaves(JsonObject schema, string path)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (key, child) in properties)
            {
                foreach (var leaf in Leaves(child!.AsObject(), $"{path}.{key}"))
                {
                    yield return leaf;
                }
            }
        }
        else if (new[] { "minimum", "maximum", "enum", "minLength", "maxLength", "pattern" }.Any(schema.ContainsKey))
        {
            yield return (path, schema);
        }
    }

    private static IEnumerable<string> CelMessages(JsonObject schema) =>
        (schema["x-kubernetes-validations"]?.AsArray().Select(r => r!["message"]!.GetValue<string>()) ?? [])
            .Concat((schema["properties"] as JsonObject ?? []).SelectMany(p => CelMessages(p.Value!.AsObject())));

    private static JsonNode? Navigate(JsonObject resource, string path) =>
        path.Split('.').Aggregate((JsonNode?)resource, (node, key) => node?[key]);

    private static void Set(JsonObject resource, string path, JsonNode? value)
    {
        var keys = path.Split('.');
        var parent = keys[..^1].Aggregate(resource, (node, key) => node[key]!.AsObject());
        parent[keys[^1]] = value?.DeepClone();
    }

    private static string FirstDifference(string committed, string generated)
    {
        var (a, b) = (committed.Split('\n'), generated.Split('\n'));
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var (left, right) = (i < a.Length ? a[i] : "<end>", i < b.Length ? b[i] : "<end>");
            if (left != right)
            {
                return string.Create(CultureInfo.InvariantCulture, $"first difference at line {i + 1}:\n  committed: {left}\n  generated: {right}");
            }
        }
        return "";
    }

    [GeneratedRegex(@" \([^)]*\)")]
    private static partial Regex Values();

    [GeneratedRegex(@"^(?<verdict>ok|FAIL)\s+\S+ ThreadPoolAutoscaler/(?<name>case-\d+)", RegexOptions.Multiline)]
    private static partial Regex Verdict();
}
