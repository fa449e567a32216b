using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Observability.Tests.Rules;

namespace Platform.Observability.Tests.Dashboards;

/// <summary>
/// No dashboard encodes a threshold as a literal: a threshold line is the operator's
/// platform_operator_threshold_* series, so it shows the spec the operator compared with, whatever its values.
/// And every "Input: …" panel draws the operator's input_* series with its threshold_* (dashboards/README.md).
/// </summary>
public sealed partial class DashboardThresholdTests
{
    private const string InputPrefix = "platform_operator_input_";
    private const string ThresholdPrefix = "platform_operator_threshold_";

    public static TheoryData<string> Stems => [.. DashboardFile.Paths.Select(p => Path.GetFileNameWithoutExtension(p))];

    [Theory]
    [MemberData(nameof(Stems))]
    public void No_panel_draws_or_compares_with_a_literal_threshold(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);

        var problems = dashboard.Panels.SelectMany(p => LiteralThresholds(p.Json).Select(problem => $"'{p.Title}': {problem}"))
            .Concat(dashboard.Expressions().SelectMany(e => LiteralNumbers(e.Expr).Select(n => $"{e.Where}: the literal {n}")))
            .ToList();

        Assert.True(problems.Count == 0,
            "Draw thresholds from platform_operator_threshold_* (a query and a field override), not as numbers:\n" + string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Every_input_panel_draws_the_operators_input_as_A_and_its_threshold_as_B(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var problems = new List<string>();

        foreach (var panel in dashboard.Panels)
        {
            var inputs = panel.Queries.SelectMany(q => PromQl.MetricNames(q.Expr)).Where(n => n.StartsWith(InputPrefix, StringComparison.Ordinal)).ToList();
            var titled = panel.Title.StartsWith("Input: ", StringComparison.Ordinal);
            if (titled != inputs.Count > 0)
            {
                problems.Add($"'{panel.Title}': a panel titled \"Input: …\" draws a {InputPrefix}* series, and only such a panel (queries one: {inputs.Count > 0})");
                continue;
            }
            if (!titled)
            {
                continue;
            }
            var a = panel.Queries.SingleOrDefault(q => q.RefId == "A");
            var b = panel.Queries.SingleOrDefault(q => q.RefId == "B");
            var input = a is null ? null : PromQl.MetricNames(a.Expr).SingleOrDefault(n => n.StartsWith(InputPrefix, StringComparison.Ordinal));
            var threshold = b is null ? null : PromQl.MetricNames(b.Expr).SingleOrDefault(n => n.StartsWith(ThresholdPrefix, StringComparison.Ordinal));
            if (panel.Queries.Count != 2 || input is null || threshold is null)
            {
                problems.Add($"'{panel.Title}': needs exactly refId A = one {InputPrefix}* series and refId B = one {ThresholdPrefix}* series");
                continue;
            }
            if (input[InputPrefix.Length..] != threshold[ThresholdPrefix.Length..])
            {
                problems.Add($"'{panel.Title}': A draws {input} but B draws {threshold}, the threshold of something else");
            }
            if (!HasThresholdOverride(panel.Json, "B"))
            {
                problems.Add($"'{panel.Title}': refId B needs a byFrameRefID override that draws it as a threshold line (custom.lineStyle dashed)");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Every_input_the_operator_exports_has_an_input_panel_on_the_operator_dashboard()
    {
        var drawn = DashboardFile.LoadByStem("platform-operator").Panels
            .Where(p => p.Title.StartsWith("Input: ", StringComparison.Ordinal))
            .SelectMany(p => p.Queries.SelectMany(q => PromQl.MetricNames(q.Expr)))
            .ToHashSet(StringComparer.Ordinal);
        var exported = KnownMetrics.Contract.Where(n => n.StartsWith(InputPrefix, StringComparison.Ordinal) || n.StartsWith(ThresholdPrefix, StringComparison.Ordinal)).ToList();

        Assert.Equal(6, exported.Count);
        Assert.All(exported, name => Assert.Contains(name, drawn));
    }

    // The checks themselves, on panels and queries that must fail and must pass.
    [Theory]
    [InlineData("""{"fieldConfig":{"defaults":{"thresholds":{"mode":"absolute","steps":[{"color":"green","value":null},{"color":"red","value":0.8}]}}}}""")]
    [InlineData("""{"fieldConfig":{"defaults":{"custom":{"thresholdsStyle":{"mode":"line"}}}}}""")]
    [InlineData("""{"fieldConfig":{"defaults":{},"overrides":[{"matcher":{"id":"byName","options":"x"},"properties":[{"id":"thresholds","value":{"mode":"absolute","steps":[{"color":"green","value":null},{"color":"red","value":10}]}}]}]}}""")]
    [InlineData("""{"fieldConfig":{"defaults":{},"overrides":[{"matcher":{"id":"byName","options":"x"},"properties":[{"id":"custom.thresholdsStyle","value":{"mode":"dashed"}}]}]}}""")]
    public void A_literal_threshold_in_a_panel_is_found(string panel) =>
        Assert.NotEmpty(LiteralThresholds(JsonNode.Parse(panel)!.AsObject()));

    [Fact]
    public void A_panel_with_only_the_base_step_and_thresholds_off_passes() =>
        Assert.Empty(LiteralThresholds(JsonNode.Parse(
            """{"fieldConfig":{"defaults":{"custom":{"thresholdsStyle":{"mode":"off"}},"thresholds":{"mode":"absolute","steps":[{"color":"green","value":null}]}}}}""")!.AsObject()));

    [Theory]
    [InlineData("max by (pod) (pod:platform_cpu_utilization_of_limit:ratio_rate1m{pod=~\"$pod\"}) > 0.8", "0.8")]
    [InlineData("vector(0.05)", "0.05")]
    [InlineData("0 * up + 10", "10")]
    [InlineData("x > 0.5", "0.5")]
    [InlineData("x >= 0", "0")]
    [InlineData("max(dotnet_thread_pool_queue_length) >= bool 1e1", "1e1")]
    [InlineData("clamp_max(x, 70) / 100", "70")]
    public void A_literal_number_in_a_query_is_found(string expr, string literal) =>
        Assert.Contains(literal, LiteralNumbers(expr));

    [Theory]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(x_bucket{le!=\"0.5\", job=\"api\"}[$__rate_interval])))")]
    [InlineData("60 * sum by (reason) (rate(platform_operator_decisions_total[5m]))")]
    [InlineData("count by (job) (up{pod=~\"api-1|api-2\"} == 1)")]
    [InlineData("sum(increase(platform_operator_decisions_total{replica_action!=\"none\"}[$__rate_interval])) > 0")]
    [InlineData("(sum(rate(a[1m])) or 0 * sum(rate(b[1m]))) / sum(rate(b[1m]))")]
    [InlineData("pod:platform_thread_pool_scheduling_delay_seconds:p90_rate1m{pod=\"api-0\"}")]
    public void Quantiles_unit_conversions_and_label_values_are_not_thresholds(string expr) =>
        Assert.Empty(LiteralNumbers(expr));

    /// <summary>Threshold steps beyond the base colour, or a visible threshold style, in the defaults or any override.</summary>
    internal static IReadOnlyList<string> LiteralThresholds(JsonObject panel)
    {
        var problems = new List<string>();
        var fieldConfig = panel["fieldConfig"] as JsonObject;
        var places = new List<(string Where, string Id, JsonNode? Value)>();
        if (fieldConfig?["defaults"] is JsonObject defaults)
        {
            places.Add(("defaults", "thresholds", defaults["thresholds"]));
            places.Add(("defaults", "custom.thresholdsStyle", (defaults["custom"] as JsonObject)?["thresholdsStyle"]));
        }
        foreach (var property in (fieldConfig?["overrides"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(o => (o["properties"] as JsonArray ?? []).OfType<JsonObject>()))
        {
            places.Add(("an override", DashboardFile.Text(property, "id") ?? "", property["value"]));
        }
        foreach (var (where, id, value) in places.Where(p => p.Value is JsonObject))
        {
            if (id == "thresholds")
            {
                var steps = (value!["steps"] as JsonArray ?? []).OfType<JsonObject>().Where(s => s["value"] is not null).ToList();
                problems.AddRange(steps.Select(s => $"{where}: a threshold step at {s["value"]!.ToJsonString()}"));
            }
            else if (id == "custom.thresholdsStyle" && DashboardFile.Text(value!.AsObject(), "mode") is { } mode && mode != "off")
            {
                problems.Add($"{where}: thresholdsStyle '{mode}' draws the threshold steps");
            }
        }
        return problems;
    }

    /// <summary>
    /// Numbers in a query other than a histogram_quantile's quantile, 60 * (per second to per minute), 0 * (a zero
    /// series with the same labels), == 1 (up, leader) and &gt; 0 (something happened): any other would be a
    /// threshold or a magic value.
    /// Label values, ranges and durations are not numbers of the query.
    /// </summary>
    internal static IReadOnlyList<string> LiteralNumbers(string expr)
    {
        var text = StringLiteral().Replace(expr, "\"\"");
        text = Range().Replace(text, "[]");
        text = AllowedNumber().Replace(text, m => m.Value.Replace(m.Groups["n"].Value, "", StringComparison.Ordinal));
        return [.. Number().Matches(text).Select(m => m.Value)];
    }

    private static bool HasThresholdOverride(JsonObject panel, string refId) =>
        ((panel["fieldConfig"] as JsonObject)?["overrides"] as JsonArray ?? []).OfType<JsonObject>().Any(o =>
            o["matcher"] is JsonObject matcher && DashboardFile.Text(matcher, "id") == "byFrameRefID" && DashboardFile.Text(matcher, "options") == refId
            && (o["properties"] as JsonArray ?? []).OfType<JsonObject>().Any(p => DashboardFile.Text(p, "id") == "custom.lineStyle"));

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Range();

    [GeneratedRegex(@"histogram_quantile\(\s*(?<n>0?\.\d+)\s*,|(?<![\w.:])(?<n>60|0)\s*\*|==\s*(?<n>1)(?![\w.])|>\s*(?<n>0)(?![\w.])")]
    private static partial Regex AllowedNumber();

    // A PromQL number not inside a name (rate1m, p90, le) or a variable: 10, 0.8, .5, 1e3, 0x10.
    [GeneratedRegex(@"(?<![\w.:$])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)(?![\w.])")]
    private static partial Regex Number();
}
