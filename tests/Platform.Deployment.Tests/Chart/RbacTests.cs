using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The operator gets exactly the calls it makes (operator/Platform.Operator/Controller, Kubernetes/) and nothing
/// more; Prometheus only reads pods of the release namespace; no rule anywhere uses a wildcard.
/// </summary>
public sealed class RbacTests
{
    /// <summary>(apiGroup, resource, verbs, resourceNames) the operator needs for what it watches and acts on.</summary>
    private static readonly string[] OperatorWatchRules =
    [
        "autoscaling.platform.dev|threadpoolautoscalers|get,list,watch|",
        "autoscaling.platform.dev|threadpoolautoscalers/status|update|",
        "apps|deployments|get|",
        "apps|deployments/scale|get,patch|",
        "|pods|list|",
        "autoscaling|horizontalpodautoscalers|list|",
        "keda.sh|scaledobjects|list|",
        "|events|create,patch|",
        "|secrets|get|platform-admin-token",
    ];

    /// <summary>Leader election: its own Lease by name, and create (which cannot name a resource).</summary>
    private static readonly string[] LeaderElectionRules =
    [
        "coordination.k8s.io|leases|get,update|platform-operator",
        "coordination.k8s.io|leases|create|",
    ];

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_operator_role_grants_exactly_the_operators_calls_in_the_release_namespace(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");

        Assert.Equal(OperatorWatchRules.Order(StringComparer.Ordinal), Rules(rendering.Single("Role", "platform-operator")));
        Assert.Equal(LeaderElectionRules.Order(StringComparer.Ordinal), Rules(rendering.Single("Role", "platform-operator-leader-election")));
        Assert.Empty(rendering.OfKind("ClusterRole"));
        Assert.Empty(rendering.OfKind("ClusterRoleBinding"));
        var args = Args(rendering);
        Assert.Equal(PlatformChart.Namespace, args[args.IndexOf("--namespace") + 1]);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Watching_every_namespace_moves_only_the_watched_rules_to_a_ClusterRole(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "all-namespaces");

        var clusterRole = Assert.Single(rendering.OfKind("ClusterRole"));
        Assert.Equal("platform-platform-operator", clusterRole.Name);
        Assert.Equal(OperatorWatchRules.Order(StringComparer.Ordinal), Rules(clusterRole));
        Assert.Equal(LeaderElectionRules.Order(StringComparer.Ordinal), Rules(rendering.Single("Role", "platform-operator-leader-election")));
        Assert.Null(rendering.Find("Role", "platform-operator"));
        Assert.DoesNotContain("--namespace", Args(rendering));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task No_rule_uses_a_wildcard_or_reaches_beyond_what_its_component_needs(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var role in rendering.OfKind("Role").Concat(rendering.OfKind("ClusterRole")))
        {
            foreach (var rule in role.Node["rules"]!.AsArray())
            {
                foreach (var field in new[] { "apiGroups", "resources", "verbs", "resourceNames" })
                {
                    Assert.DoesNotContain("*", (rule![field]?.AsArray() ?? []).Select(v => v!.GetValue<string>()));
                }
                Assert.Null(rule!["nonResourceURLs"]);
            }
        }
        if (rendering.Find("Role", "platform-prometheus") is { } prometheus)
        {
            Assert.Equal(["|pods|get,list,watch|"], Rules(prometheus));
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_binding_names_a_rendered_role_and_service_account(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var binding in rendering.OfKind("RoleBinding").Concat(rendering.OfKind("ClusterRoleBinding")))
        {
            var roleRef = binding.Node["roleRef"]!;
            Assert.NotNull(rendering.Find(roleRef["kind"]!.GetValue<string>(), roleRef["name"]!.GetValue<string>()));
            foreach (var subject in binding.Node["subjects"]!.AsArray())
            {
                Assert.Equal("ServiceAccount", subject!["kind"]!.GetValue<string>());
                Assert.Equal(PlatformChart.Namespace, subject["namespace"]!.GetValue<string>());
                Assert.NotNull(rendering.Find("ServiceAccount", subject["name"]!.GetValue<string>()));
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_secret_the_operator_may_read_is_the_one_its_autoscaler_and_the_api_use(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");

        var autoscaler = rendering.Single("ThreadPoolAutoscaler", "platform-api");
        var secret = autoscaler.Spec!["admin"]!["tokenSecretRef"]!["name"]!.GetValue<string>();
        var api = rendering.Single("Deployment", "platform-api");
        Assert.Equal(secret, KubeObject.Env(api.Container("api"))["Admin__Token"]["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>());
        Assert.Contains($"|secrets|get|{secret}", Rules(rendering.Single("Role", "platform-operator")));
        Assert.NotNull(rendering.Find("Secret", secret));
    }

    private static List<string> Rules(KubeObject role) => role.Node["rules"]!.AsArray().SelectMany(rule =>
    {
        var groups = rule!["apiGroups"]!.AsArray().Select(g => g!.GetValue<string>());
        var resources = rule["resources"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var verbs = string.Join(',', rule["verbs"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal));
        var names = string.Join(',', (rule["resourceNames"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()));
        return groups.SelectMany(g => resources.Select(r => $"{g}|{r}|{verbs}|{names}"));
    }).Order(StringComparer.Ordinal).ToList();

    private static List<string> Args(Rendering rendering) =>
        rendering.Single("Deployment", "platform-operator").Container("operator")["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
}
