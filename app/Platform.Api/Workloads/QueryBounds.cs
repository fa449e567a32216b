using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;

namespace Platform.Api.Workloads;

/// <summary>
/// Parses bounded integer query parameters and collects every error, so one 400 ProblemDetails names
/// all that is wrong with a request. Parameters are bound as strings on purpose: a non-number then gets
/// the same clear message as an out-of-range number.
/// </summary>
internal sealed class QueryBounds
{
    private Dictionary<string, string[]>? _errors;

    public bool IsValid => _errors is null;

    public int Int(string name, string? raw, int defaultValue, int min, int max)
    {
        if (raw is null)
        {
            return defaultValue;
        }
        if (int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }
        Add(name, $"'{name}' must be an integer from {min} to {max}; got '{Truncate(raw)}'.");
        return defaultValue;
    }

    public TimeSpan Milliseconds(string name, string? raw, int defaultValue, int max) =>
        TimeSpan.FromMilliseconds(Int(name, raw, defaultValue, 0, max));

    public void Add(string name, string message)
    {
        _errors ??= [];
        _errors[name] = _errors.TryGetValue(name, out var existing) ? [.. existing, message] : [message];
    }

    public ValidationProblem Problem() =>
        TypedResults.ValidationProblem(_errors ?? [], title: "One or more parameters are out of range.");

    // Echo enough of a bad value to recognise it, never a megabyte of it.
    private static string Truncate(string raw) => raw.Length <= 32 ? raw : string.Concat(raw.AsSpan(0, 32), "…");
}
