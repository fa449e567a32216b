namespace Platform.Operator.Api;

/// <summary>
/// A rule between two sibling fields: this one must not exceed <see cref="Other"/>. The CRD gets it as a CEL rule
/// on the enclosing object, and SpecValidator checks it once both fields are within their own bounds.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true)]
public sealed class NotAboveAttribute(string other) : Attribute
{
    /// <summary>The C# name of the sibling property (use nameof).</summary>
    public string Other { get; } = other;
}
