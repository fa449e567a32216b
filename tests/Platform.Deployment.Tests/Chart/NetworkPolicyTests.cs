using System.Text.Json.Nodes;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>The API's admin port is reachable from the operator's pods only; traffic and metrics from anywhere.</summary>
public sealed class NetworkPolicyTests
{
    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Only_the_operators_pods_may_reach_the_admin_port(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var policy = Assert.Single(rendering.OfKind("NetworkPolicy"));
        var api = rendering.Single("Deployment", "platform-api");
        var operatorPods = rendering.Single("Deployment", "platform-operator").PodLabels;
        var adminPort = long.Parse(KubeObject.Env(api.Container("api"))["Admin__Port"]["value"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(Selects(policy.Spec!["podSelector"]!, api.PodLabels), "the policy must select the API pods");
        Assert.Equal(["Ingress"], policy.Spec!["policyTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        var rules = policy.Spec["ingress"]!.AsArray().OfType<JsonObject>().ToList();
        var adminRules = rules.Where(r => Ports(r).Contains(adminPort)).ToList();
        var adminRule = Assert.Single(adminRules);
        var from = Assert.Single(adminRule["from"]!.AsArray());
        Assert.Null(from!["namespaceSelector"]);
        Assert.Null(from["ipBlock"]);
        Assert.True(Selects(from["podSelector"]!, operatorPods), "the admin rule must admit the operator's pods");
        foreach (var other in rendering.Workloads.Where(w => w.Labels["app.kubernetes.io/component"] != "operator"))
        {
            Assert.False(Selects(from["podSelector"]!, other.PodLabels), $"{other.Id} must not reach the admin port");
        }
        // Traffic (8080) and the dedicated metrics port: open to every client (k6, Prometheus, the cluster's users).
        var open = Assert.Single(rules, r => r["from"] is null);
        Assert.Equal(PortsOf(api, "http", "metrics"), Ports(open).Order());
        Assert.DoesNotContain(adminPort, Ports(open));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Without_the_operator_nothing_may_reach_the_admin_port(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "operator-off");
        var policy = Assert.Single(rendering.OfKind("NetworkPolicy"));

        var rule = Assert.Single(policy.Spec!["ingress"]!.AsArray().OfType<JsonObject>());
        Assert.DoesNotContain(8081L, Ports(rule));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_admin_port_is_the_same_in_the_api_the_policy_and_the_autoscaler(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var api = rendering.Single("Deployment", "platform-api").Container("api");
        var env = KubeObject.Env(api);

        var adminPort = env["Admin__Port"]["value"]!.GetValue<string>();
        Assert.Equal($"http://+:8080;http://+:{adminPort}", env["ASPNETCORE_URLS"]["value"]!.GetValue<string>());
        Assert.Contains(api["ports"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "admin" && p["containerPort"]!.ToString() == adminPort);
        Assert.Equal(adminPort, rendering.Single("ThreadPoolAutoscaler", "platform-api").Spec!["admin"]!["port"]!.ToString());
        // Not exposed on the Service: the operator calls each pod by IP.
        Assert.DoesNotContain(rendering.Single("Service", "platform-api").Spec!["ports"]!.AsArray(), p => p!["targetPort"]!.GetValue<string>() == "admin");
    }

    private static bool Selects(JsonNode selector, IReadOnlyDictionary<string, string> labels)
    {
        var match = KubeObject.StringMap(selector["matchLabels"]);
        return selector["matchExpressions"] is null && match.Count > 0 && match.All(p => labels.GetValueOrDefault(p.Key) == p.Value);
    }

    private static List<long> Ports(JsonObject rule) => (rule["ports"]?.AsArray() ?? []).Select(p => p!["port"]!.GetValue<long>()).ToList();

    private static List<long> PortsOf(KubeObject workload, params string[] names) => workload.Containers
        .SelectMany(c => c["ports"]?.AsArray() ?? [])
        .Where(p => names.Contains(p!["name"]!.GetValue<string>()))
        .Select(p => p!["containerPort"]!.GetValue<long>())
        .Order()
        .ToList();
}
