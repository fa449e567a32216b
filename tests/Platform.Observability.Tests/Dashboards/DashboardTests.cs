using System.Text.Json.Nodes;
using Platform.Observability.Tests.Rules;

namespace Platform.Observability.Tests.Dashboards;

/// <summary>
/// The conventions of dashboards/ (README there): identity, datasource and label variables, a description
/// and unit on every panel, $__rate_interval, and only metric names from docs/metrics-contract.md.
/// </summary>
public sealed class DashboardTests
{
    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["platform-overview"] = "Platform / Overview",
        ["platform-thread-pool"] = "Platform / Thread pool",
        ["platform-operator"] = "Platform / Operator",
    };

    // Units Grafana knows and these dashboards need; anything else is probably a typo that renders as a raw number.
    private static readonly HashSet<string> Units = new(StringComparer.Ordinal)
    {
        "s", "ms", "µs", "percentunit", "percent", "reqps", "ops", "opm", "short", "none", "bytes", "decbytes", "cps",
    };

    private static readonly string[] ExportLeftovers = ["__inputs", "__requires", "__elements", "gnetId", "iteration"];

    public static TheoryData<string> Stems => [.. Expected.Keys];

    [Fact]
    public void The_dashboards_folder_holds_exactly_the_three_documented_dashboards()
    {
        var stems = DashboardFile.Paths.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), stems.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Identity_schema_and_no_export_leftovers(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var root = dashboard.Root;

        Assert.Equal(stem, DashboardFile.Text(root, "uid"));
        Assert.Equal(Expected[stem], dashboard.Title);
        Assert.Contains("platform", (root["tags"] as JsonArray ?? []).Select(t => t?.GetValue<string>()));
        Assert.True(root.ContainsKey("id") && root["id"] is null, "id must be null at the top (Grafana assigns it)");
        Assert.True(root["schemaVersion"]?.GetValue<int>() >= 39, "schemaVersion must be at least 39 (Grafana 11)");
        Assert.False(string.IsNullOrWhiteSpace(DashboardFile.Text(root, "description")), "the dashboard needs a description");
        foreach (var key in ExportLeftovers)
        {
            Assert.False(root.ContainsKey(key), $"'{key}' is an export leftover");
        }

        var text = File.ReadAllText(dashboard.Path);
        Assert.DoesNotContain("__systemRef", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hideSeriesFrom", text, StringComparison.Ordinal);
        Assert.DoesNotContain("${DS_", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Datasource_namespace_job_and_pod_variables(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var variables = dashboard.Variables.ToDictionary(v => v.Name, StringComparer.Ordinal);

        var datasource = Assert.Contains("datasource", variables);
        Assert.Equal("datasource", datasource.Type);
        Assert.Equal("prometheus", datasource.Query);
        Assert.Equal("datasource", dashboard.Variables[0].Name);
        foreach (var name in new[] { "namespace", "job", "pod" })
        {
            var variable = Assert.Contains(name, variables);
            Assert.Equal("query", variable.Type);
            Assert.True(variable.IncludeAll, $"${name} must offer All");
            Assert.Equal(name, DashboardFile.LabelValuesLabel(variable.Query ?? ""));
        }
        // "All" jobs must expand to the API jobs found, never to ".*": that would also match the operator's dotnet_* series.
        Assert.Null(variables["job"].AllValue);
        foreach (var variable in dashboard.Variables.Where(v => v.Type == "query"))
        {
            Assert.True(IsDatasourceVariable(variable.Json["datasource"]), $"variable {variable.Name}: datasource must be the ${{datasource}} variable");
        }
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Every_panel_has_a_description_a_unit_and_queries_on_the_datasource_variable(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var problems = new List<string>();

        Assert.NotEmpty(dashboard.Panels);
        Assert.All(dashboard.Rows, row => Assert.False(string.IsNullOrWhiteSpace(DashboardFile.Text(row, "title"))));
        var ids = dashboard.Panels.Select(p => p.Id).Concat(dashboard.Rows.Select(r => (int?)r["id"]?.GetValue<int>())).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(null, ids);
        Assert.Equal(dashboard.Panels.Count, dashboard.Panels.Select(p => p.Title).Distinct().Count());

        foreach (var panel in dashboard.Panels)
        {
            void Problem(string message) => problems.Add($"'{panel.Title}': {message}");

            if (panel.Type is not ("timeseries" or "stat"))
            {
                Problem($"type '{panel.Type}' (timeseries, or stat for a single number)");
            }
            if (panel.Description.Length < 80)
            {
                Problem("the description should tell the viewer what to look for");
            }
            if (panel.MarkerError is { } markerError)
            {
                Problem(markerError);
            }
            if (panel.Unit is null || !Units.Contains(panel.Unit))
            {
                Problem($"fieldConfig.defaults.unit '{panel.Unit}' is not one of {string.Join(", ", Units)}");
            }
            if (!IsDatasourceVariable(panel.Json["datasource"]))
            {
                Problem("the panel datasource must be {\"type\":\"prometheus\",\"uid\":\"${datasource}\"}");
            }
            if (panel.Json["gridPos"] is not JsonObject)
            {
                Problem("no gridPos");
            }
            if (panel.Queries.Count == 0)
            {
                Problem("no targets");
            }
            var targets = (panel.Json["targets"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (targets.Any(t => !IsDatasourceVariable(t["datasource"])))
            {
                Problem("every target's datasource must be {\"type\":\"prometheus\",\"uid\":\"${datasource}\"}");
            }
            if (panel.Queries.Any(q => string.IsNullOrWhiteSpace(q.Expr) || string.IsNullOrWhiteSpace(q.RefId))
                || panel.Queries.Select(q => q.RefId).Distinct().Count() != panel.Queries.Count)
            {
                Problem("every target needs an expr and a unique refId");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Annotations_query_the_datasource_variable_and_decisions_are_annotated(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var queries = dashboard.Annotations.Where(a => !a.BuiltIn).ToList();

        var decisions = Assert.Single(queries, a => a.Name == "Operator decisions");
        Assert.Contains("platform_operator_decisions_total", decisions.Expr, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(DashboardFile.Text(decisions.Json, "textFormat")), "the annotation needs a readable text");
        foreach (var annotation in queries)
        {
            Assert.True(IsDatasourceVariable(annotation.Json["datasource"]), $"annotation '{annotation.Name}': datasource must be the ${{datasource}} variable");
            Assert.False(string.IsNullOrWhiteSpace(annotation.Expr), $"annotation '{annotation.Name}' has no expr");
        }
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Every_range_in_a_query_is_the_rate_interval(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);

        var wrong = dashboard.Expressions()
            .SelectMany(e => PromQl.Ranges(e.Expr).Where(r => r != "$__rate_interval").Select(r => $"{e.Where}: [{r}]"))
            .ToList();

        Assert.True(wrong.Count == 0, "Use [$__rate_interval] (windows of recorded series live in prometheus/rules):\n" + string.Join('\n', wrong));
        Assert.Contains(dashboard.Expressions(), e => e.Expr.Contains("[$__rate_interval]", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Every_metric_name_a_query_uses_is_in_the_metrics_contract(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);
        var recorded = RuleFile.Load().RecordedNames;

        var unknown = dashboard.Expressions()
            .SelectMany(e => PromQl.MetricNames(e.Expr).Where(n => KnownMetrics.Source(n, recorded) is null).Select(n => $"{e.Where}: {n}"))
            .ToList();

        Assert.True(unknown.Count == 0,
            "Not in docs/metrics-contract.md, not recorded by prometheus/rules, not k6_* and not up:\n" + string.Join('\n', unknown));
    }

    [Theory]
    [MemberData(nameof(Stems))]
    public void Panels_that_query_k6_are_marked_k6_run_only_and_only_those(string stem)
    {
        var dashboard = DashboardFile.LoadByStem(stem);

        foreach (var panel in dashboard.Panels)
        {
            var usesK6 = panel.Queries.Any(q => PromQl.MetricNames(q.Expr).Any(n => n.StartsWith("k6_", StringComparison.Ordinal)));
            Assert.True(usesK6 == (panel.Expectation == DataExpectation.K6RunOnly),
                $"'{panel.Title}': k6 queries and the \"Data: k6 run only\" marker go together (k6 queries: {usesK6}, marker: {panel.Expectation})");
        }
    }

    [Fact]
    public void The_readme_documents_every_dashboard_its_grafana_version_and_the_markers()
    {
        var readme = File.ReadAllText(Path.Combine(DashboardFile.DirectoryPath, "README.md"));

        foreach (var (stem, title) in Expected)
        {
            Assert.Contains($"{stem}.json", readme, StringComparison.Ordinal);
            Assert.Contains(title, readme, StringComparison.Ordinal);
        }
        Assert.Contains("Grafana 11", readme, StringComparison.Ordinal);
        Assert.Contains("Data: cluster only (", readme, StringComparison.Ordinal);
        Assert.Contains("Data: k6 run only (", readme, StringComparison.Ordinal);
        Assert.Contains("$__rate_interval", readme, StringComparison.Ordinal);
    }

    /// <summary>Exactly {"type":"prometheus","uid":"${datasource}"}: no hard-coded uid, no ${DS_...} import placeholder.</summary>
    private static bool IsDatasourceVariable(JsonNode? node) =>
        JsonNode.DeepEquals(node, new JsonObject { ["type"] = "prometheus", ["uid"] = "${datasource}" });
}
