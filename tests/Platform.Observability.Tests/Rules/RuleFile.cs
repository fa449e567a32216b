using Platform.Testing;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Platform.Observability.Tests.Rules;

/// <summary>prometheus/rules/platform.rules.yaml, read as data: the file the Helm chart and the proof load as it is.</summary>
public sealed class RuleFile
{
    public static string RulesPath => RepositoryPaths.Combine("prometheus", "rules", "platform.rules.yaml");

    public static string TestsDirectory => RepositoryPaths.Combine("prometheus", "tests");

    public static IReadOnlyList<string> TestFiles => [.. Directory.GetFiles(TestsDirectory, "*.test.yaml").Order(StringComparer.Ordinal)];

    public List<RuleGroup> Groups { get; set; } = [];

    public IEnumerable<Rule> Rules => Groups.SelectMany(g => g.Rules);

    public IEnumerable<Rule> RecordingRules => Rules.Where(r => r.Record is not null);

    public IEnumerable<Rule> AlertingRules => Rules.Where(r => r.Alert is not null);

    /// <summary>Series names the rules record: dashboards may query them like contract metrics.</summary>
    public IReadOnlySet<string> RecordedNames => RecordingRules.Select(r => r.Record!).ToHashSet(StringComparer.Ordinal);

    public static RuleFile Load() => Load(RulesPath);

    public static RuleFile Load(string path) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<RuleFile>(File.ReadAllText(path));
}

public sealed class RuleGroup
{
    public string Name { get; set; } = "";

    public List<Rule> Rules { get; set; } = [];
}

public sealed class Rule
{
    public string? Record { get; set; }

    public string? Alert { get; set; }

    public string Expr { get; set; } = "";

    public string? For { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    public Dictionary<string, string> Annotations { get; set; } = [];

    public string Name => Record ?? Alert ?? "";
}

/// <summary>A promtool unit-test file (prometheus/tests/*.test.yaml), only the parts the coverage test reads.</summary>
public sealed class RuleTestFile
{
    public List<RuleTestGroup> Tests { get; set; } = [];

    public static RuleTestFile Load(string path) =>
        new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).IgnoreUnmatchedProperties().Build()
            .Deserialize<RuleTestFile>(File.ReadAllText(path));
}

public sealed class RuleTestGroup
{
    public string Name { get; set; } = "";

    public List<PromqlExprTest> PromqlExprTest { get; set; } = [];

    public List<AlertRuleTest> AlertRuleTest { get; set; } = [];
}

public sealed class PromqlExprTest
{
    public string Expr { get; set; } = "";

    public List<Dictionary<string, object>> ExpSamples { get; set; } = [];
}

public sealed class AlertRuleTest
{
    public string Alertname { get; set; } = "";

    public List<Dictionary<string, object>> ExpAlerts { get; set; } = [];
}
