using System.Text.Json.Nodes;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// One rule per port of the API pods, each admitting only who needs it: traffic from anywhere, the control port
/// from the chart's Prometheus and the operator, the admin port from the operator alone.
/// </summary>
public sealed class NetworkPolicyTests
{
    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Each_port_admits_only_what_needs_it(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var policy = Assert.Single(rendering.OfKind("NetworkPolicy"));
        var api = rendering.Single("Deployment", "platform-api");
        var operatorPods = rendering.Single("Deployment", "platform-operator").PodLabels;
        var prometheusPods = rendering.Single("Deployment", "platform-prometheus").PodLabels;
        var (adminPort, controlPort) = (PortsOf(api, "admin").Single(), PortsOf(api, "control").Single());

        Assert.True(Selects(policy.Spec!["podSelector"]!, api.PodLabels), "the policy must select the API pods");
        Assert.Equal(["Ingress"], policy.Spec!["policyTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        var rules = policy.Spec["ingress"]!.AsArray().OfType<JsonObject>().ToList();

        var adminFrom = Assert.Single(Assert.Single(rules, r => Ports(r).Contains(adminPort))["from"]!.AsArray());
        Assert.Null(adminFrom!["namespaceSelector"]);
        Assert.Null(adminFrom["ipBlock"]);
        Assert.True(Selects(adminFrom["podSelector"]!, operatorPods), "the admin rule must admit the operator's pods");
        AdmitsOnly(rendering, [adminFrom], "operator", "the admin port");

        var controlFrom = Assert.Single(rules, r => Ports(r).Contains(controlPort))["from"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Contains(controlFrom, f => Selects(f["podSelector"]!, prometheusPods));
        Assert.Contains(controlFrom, f => Selects(f["podSelector"]!, operatorPods));
        AdmitsOnly(rendering, controlFrom, "operator prometheus", "the control port");

        // Traffic (8080): open to every client (k6, the cluster's users), and nothing else is.
        var open = Assert.Single(rules, r => r["from"] is null);
        Assert.Equal(PortsOf(api, "http"), Ports(open));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Without_the_operator_nothing_may_reach_the_admin_port(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "operator-off");
        var policy = Assert.Single(rendering.OfKind("NetworkPolicy"));

        Assert.All(policy.Spec!["ingress"]!.AsArray().OfType<JsonObject>(), rule => Assert.DoesNotContain(8081L, Ports(rule)));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task With_a_prometheus_of_your_own_the_control_port_admits_the_peers_you_name(string helm)
    {
        var open = await PlatformChart.RenderAsync(helm, "external-observability");
        var named = await PlatformChart.RenderWithAsync(helm, "--values", PlatformChart.ValuesFile("external-observability"),
            "--set", "networkPolicy.controlPortFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring");
        Assert.True(named.Result.ExitCode == 0, named.Result.Describe());

        var openRule = Assert.Single(ControlRules(open));
        Assert.Null(openRule["from"]);
        var from = Assert.Single(ControlRules(named))["from"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Contains(from, f => f["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"]?.GetValue<string>() == "monitoring");
        Assert.DoesNotContain(from, f => f["namespaceSelector"] is not null && f["podSelector"] is not null);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_ports_are_the_same_in_the_api_its_probes_the_policy_and_the_autoscaler(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var api = rendering.Single("Deployment", "platform-api");
        var container = api.Container("api");
        var env = KubeObject.Env(container);
        var autoscaler = rendering.Single("ThreadPoolAutoscaler", "platform-api").Spec!;

        var adminPort = env["Admin__Port"]["value"]!.GetValue<string>();
        var controlPort = env["Control__Port"]["value"]!.GetValue<string>();
        // Kestrel listens for traffic only: the control listener binds the control and admin ports itself.
        Assert.Equal("http://+:8080", env["ASPNETCORE_URLS"]["value"]!.GetValue<string>());
        Assert.Equal([long.Parse(adminPort, System.Globalization.CultureInfo.InvariantCulture)], PortsOf(api, "admin"));
        Assert.Equal([long.Parse(controlPort, System.Globalization.CultureInfo.InvariantCulture)], PortsOf(api, "control"));
        Assert.Equal(adminPort, autoscaler["admin"]!["port"]!.ToString());
        Assert.Equal(controlPort, autoscaler["podSignals"]!["port"]!.ToString());
        Assert.Equal(controlPort, api.PodAnnotations["prometheus.io/port"]);
        // Liveness on the control port (it answers a starved pod); readiness on Kestrel (a starved pod leaves the Service).
        Assert.Equal("control", container["livenessProbe"]!["httpGet"]!["port"]!.GetValue<string>());
        Assert.Equal("http", container["readinessProbe"]!["httpGet"]!["port"]!.GetValue<string>());
        // Admin is not exposed on the Service: the operator calls each pod by IP.
        Assert.DoesNotContain(rendering.Single("Service", "platform-api").Spec!["ports"]!.AsArray(), p => p!["targetPort"]!.GetValue<string>() == "admin");
    }

    private static IEnumerable<JsonObject> ControlRules(Rendering rendering)
    {
        var api = rendering.Single("Deployment", "platform-api");
        var control = PortsOf(api, "control").Single();
        return Assert.Single(rendering.OfKind("NetworkPolicy")).Spec!["ingress"]!.AsArray().OfType<JsonObject>().Where(r => Ports(r).Contains(control));
    }

    /// <summary>No workload of the release other than the named components is selected by any of the peers.</summary>
    private static void AdmitsOnly(Rendering rendering, IEnumerable<JsonNode> peers, string components, string what)
    {
        var allowed = components.Split(' ');
        foreach (var other in rendering.Workloads.Where(w => !allowed.Contains(w.Labels["app.kubernetes.io/component"])))
        {
            Assert.DoesNotContain(peers, p => p["podSelector"] is { } selector && Selects(selector, other.PodLabels));
        }
        Assert.All(peers, p => Assert.True(p["namespaceSelector"] is null && p["ipBlock"] is null, $"{what}: only pods of the release, by label"));
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
