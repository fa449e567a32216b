using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Platform.Operator.Api;

/// <summary>
/// Reads the bounds written as attributes on the spec types, for SpecValidator and for the schema generator:
/// each check answers with the same sentence ending the CR condition shows, after the field path and its value.
/// </summary>
public static class SpecFields
{
    /// <summary>The public read-write properties of a spec type, in declaration order.</summary>
    public static IReadOnlyList<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite)
            .OrderBy(p => p.MetadataToken)
            .ToList();

    /// <summary>The field's name in JSON (the Kubernetes client's camelCase).</summary>
    public static string JsonName(PropertyInfo property) =>
        char.ToLowerInvariant(property.Name[0]) + property.Name[1..];

    /// <summary>A section: a class of the spec's own, validated field by field.</summary>
    public static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace == typeof(ThreadPoolAutoscalerSpec).Namespace;

    /// <summary>Every error in <paramref name="section"/> and below, each starting with its field path.</summary>
    public static List<string> Validate(object section, string path)
    {
        var errors = new List<string>();
        Validate(section, path, errors);
        return errors;
    }

    private static void Validate(object section, string path, List<string> errors)
    {
        var invalid = new HashSet<string>(StringComparer.Ordinal);
        var properties = Properties(section.GetType());
        foreach (var property in properties)
        {
            var fieldPath = $"{path}.{JsonName(property)}";
            var value = property.GetValue(section);
            if (IsSection(property.PropertyType))
            {
                if (value is null)
                {
                    errors.Add($"{fieldPath} must be set");
                }
                else
                {
                    Validate(value, fieldPath, errors);
                }
                continue;
            }
            if (Check(property, value) is { } error)
            {
                errors.Add(error.StartsWith("must not be empty", StringComparison.Ordinal)
                    ? $"{fieldPath} {error}"
                    : $"{fieldPath} ({Display(value)}) {error}");
                invalid.Add(property.Name);
            }
        }
        foreach (var property in properties)
        {
            foreach (var rule in property.GetCustomAttributes<NotAboveAttribute>())
            {
                var other = section.GetType().GetProperty(rule.Other) ?? throw new InvalidOperationException($"{section.GetType().Name}.{property.Name}: no property {rule.Other}");
                if (invalid.Contains(property.Name) || invalid.Contains(other.Name))
                {
                    continue;
                }
                var value = (IComparable)property.GetValue(section)!;
                var limit = other.GetValue(section);
                if (value.CompareTo(limit) > 0)
                {
                    errors.Add($"{path}.{JsonName(property)} ({Display(value)}) must not exceed {path}.{JsonName(other)} ({Display(limit)})");
                }
            }
        }
    }

    /// <summary>The first single-field bound the value breaks, as the end of a sentence; null when it keeps them all.</summary>
    public static string? Check(PropertyInfo property, object? value)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type.IsEnum)
        {
            return value is not null && Enum.IsDefined(type, value) ? null : $"must be {string.Join(" or ", Enum.GetNames(type))}";
        }
        if (value is string text)
        {
            return CheckString(property, text);
        }
        if (property.GetCustomAttribute<RangeAttribute>() is { } range && value is not null)
        {
            var number = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
            var minimum = System.Convert.ToDouble(range.Minimum, CultureInfo.InvariantCulture);
            var maximum = System.Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture);
            // Written as negated ranges so NaN fails too.
            var aboveMinimum = range.MinimumIsExclusive ? number > minimum : number >= minimum;
            var belowMaximum = range.MaximumIsExclusive ? number < maximum : number <= maximum;
            if (!(aboveMinimum && belowMaximum))
            {
                return range.MinimumIsExclusive
                    ? $"must be greater than {Display(range.Minimum)} and at most {Display(range.Maximum)}"
                    : $"must be between {Display(range.Minimum)} and {Display(range.Maximum)}";
            }
        }
        return null;
    }

    private static string? CheckString(PropertyInfo property, string text)
    {
        var (minimumLength, maximumLength) = Lengths(property);
        if (text.Length < Math.Max(minimumLength, property.GetCustomAttribute<RequiredAttribute>() is null ? 0 : 1))
        {
            return text.Length == 0 ? "must not be empty" : $"must be at least {minimumLength} characters";
        }
        if (text.Length > maximumLength)
        {
            return $"must be at most {maximumLength} characters";
        }
        if (property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed && !allowed.Values.Contains(text))
        {
            return $"must be {string.Join(" or ", allowed.Values)}";
        }
        if (property.GetCustomAttribute<RegularExpressionAttribute>() is { } pattern
            && !Regex.IsMatch(text, pattern.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
        {
            return pattern.ErrorMessage ?? $"must match {pattern.Pattern}";
        }
        return null;
    }

    /// <summary>The length bounds of a string field: [StringLength], [MinLength], [MaxLength].</summary>
    public static (int Minimum, int Maximum) Lengths(PropertyInfo property)
    {
        var minimum = property.GetCustomAttribute<StringLengthAttribute>()?.MinimumLength ?? property.GetCustomAttribute<MinLengthAttribute>()?.Length ?? 0;
        var maximum = property.GetCustomAttribute<StringLengthAttribute>()?.MaximumLength ?? property.GetCustomAttribute<MaxLengthAttribute>()?.Length ?? int.MaxValue;
        return (minimum, maximum);
    }

    private static string Display(object? value) => value switch
    {
        null => "null",
        double d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
