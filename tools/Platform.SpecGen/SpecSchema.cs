using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using k8s.Models;
using Platform.Operator.Api;

namespace Platform.SpecGen;

/// <summary>Which schema dialect to write: the CRD's structural OpenAPI v3, or the chart's JSON Schema draft-07.</summary>
public enum SchemaDialect
{
    /// <summary>OpenAPI v3 as a CRD needs it: defaults, boolean exclusiveMinimum, CEL rules for cross-field bounds.</summary>
    Crd,

    /// <summary>draft-07 for values.schema.json: closed objects, every key required, no defaults (values.yaml has them).</summary>
    Values,
}

/// <summary>
/// Turns the spec types into JSON schemas. Every keyword comes from the C# type or an attribute on it:
/// [Range] gives minimum/maximum (MinimumIsExclusive gives exclusiveMinimum), [StringLength], [MinLength] and
/// [MaxLength] the lengths (on a list, maxItems), [AllowedValues] and enums the enum, [RegularExpression] the
/// pattern, [Description] the description, [Required] the required list, [NotAbove] a CEL rule, and a property's
/// initial value its default.
/// </summary>
public static class SpecSchema
{
    /// <summary>The CRD's whole openAPIV3Schema, from <see cref="ThreadPoolAutoscaler"/>.</summary>
    public static JsonObject Crd() => ObjectSchema(typeof(ThreadPoolAutoscaler), SchemaDialect.Crd, path: "", description: null);

    /// <summary>
    /// How the chart's operator.autoscaler block lays out the spec: values key -> spec path. The chart flattens
    /// prometheus.* and podSignals.intervalMilliseconds; the target, the admin endpoint and the control port it
    /// takes from other values, so they have no key here. The CR template reads exactly these keys.
    /// </summary>
    public static readonly IReadOnlyList<(string Key, string SpecPath)> ChartAutoscalerLayout =
    [
        ("mode", "mode"),
        ("evaluationIntervalSeconds", "evaluationIntervalSeconds"),
        ("prometheusUrl", "prometheus.url"),
        ("windowSeconds", "prometheus.windowSeconds"),
        ("maxStalenessSeconds", "prometheus.maxStalenessSeconds"),
        ("minThreads", "minThreads"),
        ("podSignalsIntervalMilliseconds", "podSignals.intervalMilliseconds"),
        ("replicas", "replicas"),
        ("cpu", "cpu"),
        ("starvation", "starvation"),
        ("behavior", "behavior"),
    ];

    /// <summary>The values.schema.json block of operator.autoscaler.</summary>
    public static JsonObject ChartAutoscaler()
    {
        var properties = new JsonObject { ["create"] = new JsonObject { ["type"] = "boolean" } };
        foreach (var (key, specPath) in ChartAutoscalerLayout)
        {
            var (property, path) = Navigate(specPath);
            properties[key] = PropertySchema(property, SchemaDialect.Values, path);
        }
        return new JsonObject
        {
            ["description"] = "The chart's ThreadPoolAutoscaler. Generated from the operator's spec types by tools/Platform.SpecGen: change the bounds there.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
            ["required"] = new JsonArray([.. properties.Select(p => JsonValue.Create(p.Key))]),
        };
    }

    /// <summary>The spec property at a dotted JSON path under spec, and its full path.</summary>
    public static (PropertyInfo Property, string Path) Navigate(string specPath)
    {
        var type = typeof(ThreadPoolAutoscalerSpec);
        PropertyInfo? property = null;
        foreach (var name in specPath.Split('.'))
        {
            property = SpecFields.Properties(type).SingleOrDefault(p => SpecFields.JsonName(p) == name)
                ?? throw new InvalidOperationException($"spec.{specPath}: {type.Name} has no property {name}");
            type = property.PropertyType;
        }
        return (property!, $"spec.{specPath}");
    }

    private static JsonObject ObjectSchema(Type type, SchemaDialect dialect, string path, string? description)
    {
        var schema = new JsonObject { ["type"] = "object" };
        if (description is not null)
        {
            schema["description"] = description;
        }
        if (dialect == SchemaDialect.Values)
        {
            schema["additionalProperties"] = false;
        }
        var properties = SpecFields.Properties(type);
        var required = dialect == SchemaDialect.Values
            ? properties
            : properties.Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null).ToList();
        if (required.Count > 0 && dialect == SchemaDialect.Crd)
        {
            schema["required"] = Names(required);
        }
        var rules = properties.SelectMany(p => p.GetCustomAttributes<NotAboveAttribute>().Select(rule => (Property: p, Rule: rule))).ToList();
        if (rules.Count > 0 && dialect == SchemaDialect.Crd)
        {
            var validations = new JsonArray();
            foreach (var (property, rule) in rules)
            {
                var (low, high) = (SpecFields.JsonName(property), SpecFields.JsonName(type.GetProperty(rule.Other)!));
                validations.Add(new JsonObject
                {
                    ["rule"] = $"!has(self.{low}) || !has(self.{high}) || self.{low} <= self.{high}",
                    ["message"] = $"{path}.{low} must not exceed {path}.{high}",
                });
            }
            schema["x-kubernetes-validations"] = validations;
        }
        var children = new JsonObject();
        foreach (var property in properties)
        {
            children[SpecFields.JsonName(property)] = PropertySchema(property, dialect, Join(path, SpecFields.JsonName(property)));
        }
        schema["properties"] = children;
        if (required.Count > 0 && dialect == SchemaDialect.Values)
        {
            schema["required"] = Names(required);
        }
        return schema;
    }

    private static JsonObject PropertySchema(PropertyInfo property, SchemaDialect dialect, string path)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var description = property.GetCustomAttribute<DescriptionAttribute>()?.Description;
        if (type == typeof(V1ObjectMeta))
        {
            return new JsonObject { ["type"] = "object" };
        }
        if (type == typeof(List<V1Condition>))
        {
            return ConditionsSchema();
        }
        if (SpecFields.IsSection(type))
        {
            return ObjectSchema(type, dialect, path, description);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var array = new JsonObject { ["type"] = "array" };
            Add(array, "description", description);
            Add(array, "maxItems", property.GetCustomAttribute<MaxLengthAttribute>()?.Length);
            array["items"] = ObjectSchema(type.GetGenericArguments()[0], dialect, $"{path}[]", null);
            return array;
        }

        var schema = new JsonObject();
        if (type == typeof(string) || type.IsEnum)
        {
            schema["type"] = "string";
        }
        else if (type == typeof(DateTimeOffset))
        {
            schema["type"] = "string";
            schema["format"] = "date-time";
        }
        else if (type == typeof(int))
        {
            schema["type"] = "integer";
        }
        else if (type == typeof(long))
        {
            schema["type"] = "integer";
            schema["format"] = "int64";
        }
        else if (type == typeof(double))
        {
            schema["type"] = "number";
        }
        else if (type == typeof(bool))
        {
            schema["type"] = "boolean";
        }
        else
        {
            throw new InvalidOperationException($"{path}: no schema for {type.Name}");
        }
        Add(schema, "description", description);
        var allowed = type.IsEnum ? Enum.GetNames(type) : property.GetCustomAttribute<AllowedValuesAttribute>()?.Values.Select(v => (string)v!).ToArray();
        if (allowed is not null)
        {
            schema["enum"] = new JsonArray([.. allowed.Select(v => JsonValue.Create(v))]);
        }
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            if (range.MinimumIsExclusive)
            {
                if (dialect == SchemaDialect.Crd)
                {
                    schema["exclusiveMinimum"] = true;
                    schema["minimum"] = Number(range.Minimum);
                }
                else
                {
                    schema["exclusiveMinimum"] = Number(range.Minimum);
                }
            }
            else
            {
                schema["minimum"] = Number(range.Minimum);
            }
            schema[range.MaximumIsExclusive ? "exclusiveMaximum" : "maximum"] = Number(range.Maximum);
        }
        if (type == typeof(string))
        {
            var (minimum, maximum) = SpecFields.Lengths(property);
            Add(schema, "minLength", minimum > 0 ? minimum : null);
            Add(schema, "maxLength", maximum < int.MaxValue ? maximum : null);
            Add(schema, "pattern", property.GetCustomAttribute<RegularExpressionAttribute>()?.Pattern);
        }
        if (dialect == SchemaDialect.Crd && path.StartsWith("spec.", StringComparison.Ordinal) && property.GetCustomAttribute<RequiredAttribute>() is null)
        {
            var initial = property.GetValue(Activator.CreateInstance(property.DeclaringType!));
            var value = initial switch
            {
                null or "" => null,
                Enum e => JsonValue.Create(e.ToString()),
                string s => JsonValue.Create(s),
                IList => null,
                _ => Number(initial),
            };
            Add(schema, "default", value);
        }
        return schema;
    }

    /// <summary>The conditions list as Kubernetes declares metav1.Condition (a list-map keyed by type).</summary>
    private static JsonObject ConditionsSchema() => new()
    {
        ["type"] = "array",
        ["x-kubernetes-list-type"] = "map",
        ["x-kubernetes-list-map-keys"] = new JsonArray("type"),
        ["items"] = new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("type", "status", "reason", "message", "lastTransitionTime"),
            ["properties"] = new JsonObject
            {
                ["type"] = new JsonObject { ["type"] = "string", ["maxLength"] = 316 },
                ["status"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("True", "False", "Unknown") },
                ["reason"] = new JsonObject { ["type"] = "string", ["maxLength"] = 1024 },
                ["message"] = new JsonObject { ["type"] = "string", ["maxLength"] = 32768 },
                ["lastTransitionTime"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                ["observedGeneration"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["minimum"] = 0 },
            },
        },
    };

    private static JsonArray Names(IEnumerable<PropertyInfo> properties) =>
        new([.. properties.Select(p => JsonValue.Create(SpecFields.JsonName(p)))]);

    /// <summary>Whole numbers as integers (1000000, not 1E+06), others as the shortest double.</summary>
    private static JsonValue Number(object value)
    {
        var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        return number == Math.Floor(number) && Math.Abs(number) < 1e15 ? JsonValue.Create((long)number) : JsonValue.Create(number);
    }

    private static void Add(JsonObject schema, string key, JsonNode? value)
    {
        if (value is not null)
        {
            schema[key] = value;
        }
    }

    private static void Add(JsonObject schema, string key, string? value) => Add(schema, key, value is null ? null : JsonValue.Create(value));

    private static void Add(JsonObject schema, string key, int? value) => Add(schema, key, value is null ? null : JsonValue.Create(value.Value));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
