using System.Reflection;
using Platform.Operator.Signals;
using Platform.Testing;

namespace Platform.Operator.Tests.Signals;

/// <summary>The operator reads only metrics the contract defines, with the contract's types.</summary>
public sealed class SignalNamesTests
{
    public static TheoryData<string> Names() => new(typeof(SignalNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!));

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_metric_the_operator_queries_is_a_row_of_the_contract(string name)
    {
        var family = name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^7]
            : name.EndsWith("_count", StringComparison.Ordinal) && MetricsContract.Metrics.Any(m => m.Name == name[..^6] && m.Type == "histogram") ? name[..^6]
            : name.EndsWith("_sum", StringComparison.Ordinal) && MetricsContract.Metrics.Any(m => m.Name == name[..^4] && m.Type == "histogram") ? name[..^4]
            : name;

        var row = Assert.Single(MetricsContract.Metrics, m => m.Name == family);
        Assert.Equal(family != name ? "histogram" : row.Type, row.Type);
    }
}
