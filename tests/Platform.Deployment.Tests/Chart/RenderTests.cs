using System.Text.Json.Nodes;
using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// `helm template` with helm 3 and helm 4 on every install scenario, and what every rendered object must satisfy:
/// labels, selectors, probes, hardening, references between objects.
/// </summary>
public sealed class RenderTests
{
    private static readonly HashSet<string> Components = ["api", "downstream", "postgres", "sqlserver", "operator", "prometheus", "grafana", "loadtest"];

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Helm_template_renders_and_prints_nothing_but_the_symlink_notices(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        Assert.NotEmpty(rendering.Objects);
        Assert.Empty(HelmNotices.Other(rendering.Result.StandardError));
        Assert.Equal(rendering.Objects.Count, rendering.Objects.Select(o => $"{o.ApiVersion} {o.Id}").Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_object_carries_the_standard_labels_and_a_component(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var o in rendering.Objects.Where(o => o.Kind != "CustomResourceDefinition"))
        {
            var labels = o.Labels;
            Assert.True(labels.GetValueOrDefault("helm.sh/chart")?.StartsWith("platform-", StringComparison.Ordinal) == true, $"{o.Id}: helm.sh/chart");
            Assert.Equal("platform", labels.GetValueOrDefault("app.kubernetes.io/name"));
            Assert.Equal(PlatformChart.Release, labels.GetValueOrDefault("app.kubernetes.io/instance"));
            Assert.Equal("Helm", labels.GetValueOrDefault("app.kubernetes.io/managed-by"));
            Assert.Equal("platform", labels.GetValueOrDefault("app.kubernetes.io/part-of"));
            Assert.False(string.IsNullOrEmpty(labels.GetValueOrDefault("app.kubernetes.io/version")), $"{o.Id}: app.kubernetes.io/version");
            Assert.Contains(labels.GetValueOrDefault("app.kubernetes.io/component") ?? "", Components);
            if (o.PodTemplate is not null)
            {
                foreach (var key in new[] { "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component" })
                {
                    Assert.True(o.PodLabels.GetValueOrDefault(key) == labels[key], $"{o.Id}: pod label {key}");
                }
            }
        }
        // crds/ is not templated: the CRD carries the chart's name and its component by hand.
        var crd = Assert.Single(rendering.OfKind("CustomResourceDefinition"));
        Assert.Equal("platform", crd.Labels.GetValueOrDefault("app.kubernetes.io/name"));
        Assert.Equal("operator", crd.Labels.GetValueOrDefault("app.kubernetes.io/component"));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Selectors_match_the_pod_templates_they_are_meant_for(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);
        var workloads = rendering.Workloads.Where(w => !w.IsHook && w.Kind != "Job").ToList();

        foreach (var w in workloads)
        {
            var selector = KubeObject.StringMap(w.Spec!["selector"]?["matchLabels"]);
            // Immutable once deployed: exactly name, instance and component, never version or chart.
            Assert.Equal(["app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name"], selector.Keys.Order(StringComparer.Ordinal));
            Assert.All(selector, pair => Assert.Equal(pair.Value, w.PodLabels.GetValueOrDefault(pair.Key)));
        }
        foreach (var service in rendering.OfKind("Service"))
        {
            var selector = KubeObject.StringMap(service.Spec!["selector"]);
            var targets = workloads.Where(w => selector.All(p => w.PodLabels.GetValueOrDefault(p.Key) == p.Value)).ToList();
            var target = Assert.Single(targets);
            var portNames = target.Containers.SelectMany(c => c["ports"]?.AsArray() ?? []).Select(p => p!["name"]?.GetValue<string>()).ToHashSet();
            foreach (var port in service.Spec!["ports"]!.AsArray())
            {
                Assert.True(portNames.Contains(port!["targetPort"]!.GetValue<string>()), $"{service.Id}: targetPort {port["targetPort"]} is not a port of {target.Id}");
            }
        }
        foreach (var statefulSet in rendering.OfKind("StatefulSet"))
        {
            Assert.NotNull(rendering.Find("Service", statefulSet.Spec!["serviceName"]!.GetValue<string>()));
        }
        foreach (var monitor in rendering.OfKind("ServiceMonitor"))
        {
            var selector = KubeObject.StringMap(monitor.Spec!["selector"]?["matchLabels"]);
            var service = Assert.Single(rendering.OfKind("Service"), s => selector.All(p => s.Labels.GetValueOrDefault(p.Key) == p.Value));
            var ports = service.Spec!["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToHashSet();
            Assert.All(monitor.Spec!["endpoints"]!.AsArray(), e => Assert.Contains(e!["port"]!.GetValue<string>(), ports));
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_long_running_container_has_liveness_and_readiness_probes_on_a_declared_port(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var w in rendering.OfKind("Deployment").Concat(rendering.OfKind("StatefulSet")))
        {
            foreach (var container in w.Containers)
            {
                var ports = (container["ports"]?.AsArray() ?? []).Select(p => p!["name"]?.GetValue<string>()).ToHashSet();
                foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
                {
                    var p = container[probe] as JsonObject;
                    Assert.True(p is not null, $"{w.Id}/{container["name"]}: no {probe}");
                    if (p["httpGet"] is JsonObject get)
                    {
                        Assert.Contains(get["port"]!.ToString(), ports);
                        Assert.StartsWith("/", get["path"]!.GetValue<string>());
                    }
                    else
                    {
                        Assert.True(p["exec"] is not null || p["tcpSocket"] is not null || p["grpc"] is not null, $"{w.Id}: {probe} has no handler");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_pod_and_container_is_hardened_and_bounded(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        Assert.NotEmpty(rendering.Workloads);
        foreach (var w in rendering.Workloads)
        {
            var pod = w.PodSpec!;
            var podSecurity = pod["securityContext"] as JsonObject;
            Assert.True(podSecurity?["runAsNonRoot"]?.GetValue<bool>() == true, $"{w.Id}: pod runAsNonRoot");
            Assert.True(podSecurity?["runAsUser"]?.GetValue<long>() > 0, $"{w.Id}: pod runAsUser must be a non-root UID");
            Assert.Equal("RuntimeDefault", podSecurity?["seccompProfile"]?["type"]?.GetValue<string>());
            foreach (var hostField in new[] { "hostNetwork", "hostPID", "hostIPC" })
            {
                Assert.True(pod[hostField]?.GetValue<bool>() != true, $"{w.Id}: {hostField}");
            }
            Assert.All(pod["volumes"]?.AsArray() ?? [], v => Assert.Null(v!["hostPath"]));
            foreach (var container in w.Containers)
            {
                var id = $"{w.Id}/{container["name"]}";
                var security = container["securityContext"] as JsonObject;
                Assert.True(security?["allowPrivilegeEscalation"]?.GetValue<bool>() == false, $"{id}: allowPrivilegeEscalation");
                // The one documented exception (charts/platform/README.md, "Hardened pods"): the SQL Server image.
                var readOnlyRootExempt = w.Labels["app.kubernetes.io/component"] == "sqlserver" && container["name"]!.GetValue<string>() == "sqlserver";
                Assert.True(security?["readOnlyRootFilesystem"]?.GetValue<bool>() == !readOnlyRootExempt, $"{id}: readOnlyRootFilesystem");
                Assert.True(security?["privileged"]?.GetValue<bool>() != true, $"{id}: privileged");
                Assert.Contains("ALL", security?["capabilities"]?["drop"]?.AsArray().Select(c => c!.GetValue<string>()) ?? []);
                Assert.Null(security?["capabilities"]?["add"]);
                foreach (var bound in new[] { "requests", "limits" })
                {
                    Assert.True(container["resources"]?[bound]?["cpu"] is not null, $"{id}: resources.{bound}.cpu");
                    Assert.True(container["resources"]?[bound]?["memory"] is not null, $"{id}: resources.{bound}.memory");
                }
                var image = container["image"]!.GetValue<string>();
                Assert.Matches(@"^[a-z0-9./-]+:[A-Za-z0-9._-]+$", image);
                Assert.DoesNotContain(":latest", image, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Only_the_operator_and_Prometheus_mount_a_service_account_token_and_theirs_exist(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var w in rendering.Workloads)
        {
            var component = w.Labels["app.kubernetes.io/component"];
            var mounts = w.PodSpec!["automountServiceAccountToken"]?.GetValue<bool>();
            if (component is "operator" or "prometheus")
            {
                Assert.True(mounts == true, $"{w.Id} needs its token");
                var account = w.PodSpec["serviceAccountName"]?.GetValue<string>();
                Assert.NotNull(account);
                Assert.NotNull(rendering.Find("ServiceAccount", account));
            }
            else
            {
                Assert.True(mounts == false, $"{w.Id} must not mount a service-account token");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_volume_ConfigMap_Secret_and_key_a_pod_uses_is_rendered(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);
        // Secrets the values name as existing ones are the user's to create, not the chart's.
        var existing = PlatformChart.ExistingSecrets(scenario);

        foreach (var w in rendering.Workloads)
        {
            var volumes = (w.PodSpec!["volumes"]?.AsArray() ?? []).OfType<JsonObject>().ToDictionary(v => v["name"]!.GetValue<string>());
            var claimTemplates = (w.Spec?["volumeClaimTemplates"]?.AsArray() ?? []).Select(c => c!["metadata"]!["name"]!.GetValue<string>()).ToHashSet();
            foreach (var container in w.Containers)
            {
                foreach (var mount in container["volumeMounts"]?.AsArray() ?? [])
                {
                    var name = mount!["name"]!.GetValue<string>();
                    Assert.True(volumes.ContainsKey(name) || claimTemplates.Contains(name), $"{w.Id}: volumeMount {name} has no volume");
                }
                foreach (var env in KubeObject.Env(container).Values)
                {
                    if (env["valueFrom"]?["secretKeyRef"] is JsonObject secretRef && !existing.Contains(secretRef["name"]!.GetValue<string>()))
                    {
                        AssertKey(rendering, "Secret", secretRef["name"]!.GetValue<string>(), secretRef["key"]!.GetValue<string>(), w.Id);
                    }
                }
            }
            foreach (var volume in volumes.Values)
            {
                if (volume["configMap"] is JsonObject configMap)
                {
                    var name = configMap["name"]!.GetValue<string>();
                    var rendered = rendering.Find("ConfigMap", name);
                    Assert.True(rendered is not null, $"{w.Id}: ConfigMap {name} is not rendered");
                    foreach (var item in configMap["items"]?.AsArray() ?? [])
                    {
                        AssertKey(rendering, "ConfigMap", name, item!["key"]!.GetValue<string>(), w.Id);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ScenarioNames), MemberType = typeof(PlatformChart))]
    public async Task Helm_3_and_helm_4_render_the_same_objects(string scenario)
    {
        var three = await PlatformChart.RenderAsync(RequiredTool.Helm3, scenario);
        var four = await PlatformChart.RenderAsync(RequiredTool.Helm4, scenario);

        Assert.Equal(Normalized(three), Normalized(four));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_test_hook_runs_the_smoke_scenario_against_the_api_and_cleans_up_after_itself(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");

        var hook = Assert.Single(rendering.Objects, o => o.Annotations.GetValueOrDefault("helm.sh/hook") == "test");
        Assert.Equal("Pod", hook.Kind);
        Assert.Equal("before-hook-creation,hook-succeeded", hook.Annotations["helm.sh/hook-delete-policy"]);
        Assert.Equal("Never", hook.PodSpec!["restartPolicy"]!.GetValue<string>());
        var k6 = hook.Container("k6");
        var args = k6["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal("/scripts/smoke.js", args[^1]);
        Assert.Equal("http://platform-api:8080", KubeObject.Env(k6)["BASE_URL"]["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_CRD_ships_in_crds_unchanged_and_no_template_renders_one()
    {
        var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, "default");
        var withoutCrds = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, "--values", PlatformChart.ValuesFile("default"));
        var file = Yaml.Document(await File.ReadAllTextAsync(PlatformChart.CrdFile, TestContext.Current.CancellationToken))!;

        var crd = Assert.Single(rendering.OfKind("CustomResourceDefinition"));
        Assert.Equal(file.ToJsonString(), crd.Node.ToJsonString());
        Assert.Equal(0, withoutCrds.Result.ExitCode);
        Assert.DoesNotContain(withoutCrds.Objects, o => o.Kind == "CustomResourceDefinition");
        Assert.Equal(["threadpoolautoscalers.autoscaling.platform.dev.yaml"], Directory.GetFiles(Path.Combine(PlatformChart.Directory, "crds")).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Scraped_pods_name_a_port_they_declare_and_are_api_downstream_or_operator(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        var scraped = rendering.Workloads.Where(w => w.PodAnnotations.GetValueOrDefault("prometheus.io/scrape") == "true").ToList();
        Assert.NotEmpty(scraped);
        foreach (var w in scraped)
        {
            Assert.Contains(w.Labels["app.kubernetes.io/component"], new[] { "api", "downstream", "operator" });
            Assert.Equal("/metrics", w.PodAnnotations["prometheus.io/path"]);
            var ports = w.Containers.SelectMany(c => c["ports"]?.AsArray() ?? []).Select(p => p!["containerPort"]!.ToString());
            Assert.Contains(w.PodAnnotations["prometheus.io/port"], ports);
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Without_its_own_Prometheus_and_Grafana_the_chart_renders_ServiceMonitors_and_sidecar_dashboards(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "external-observability");
        var noCrdApi = await PlatformChart.RenderWithAsync(helm, "--values", PlatformChart.ValuesFile("external-observability"));

        Assert.DoesNotContain(rendering.Objects, o => o.Labels.GetValueOrDefault("app.kubernetes.io/component") is "prometheus" or "grafana" && o.Kind != "ConfigMap");
        Assert.DoesNotContain(rendering.Objects, o => o.Kind == "Deployment" && o.Labels["app.kubernetes.io/component"] is "prometheus" or "grafana");
        var monitors = rendering.OfKind("ServiceMonitor").ToList();
        Assert.Equal(["api", "downstream", "operator"], monitors.Select(m => m.Labels["app.kubernetes.io/component"]).Order(StringComparer.Ordinal));
        Assert.All(monitors, m =>
        {
            Assert.Equal("app.kubernetes.io/component", m.Spec!["jobLabel"]!.GetValue<string>());
            Assert.Equal("kube-prometheus-stack", m.Labels["release"]);
            Assert.Equal(PlatformChart.Namespace, m.Spec["namespaceSelector"]!["matchNames"]![0]!.GetValue<string>());
        });
        Assert.Contains(rendering.OfKind("ConfigMap"), c => c.Labels.GetValueOrDefault("grafana_dashboard") == "1");
        // Guarded by .Capabilities: a cluster without the Prometheus Operator gets no ServiceMonitor it cannot store.
        Assert.Equal(0, noCrdApi.Result.ExitCode);
        Assert.DoesNotContain(noCrdApi.Objects, o => o.Kind == "ServiceMonitor");
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Replicas_are_the_configured_count_unless_the_operator_manages_them(string helm)
    {
        var enforce = (await PlatformChart.RenderAsync(helm, "default")).Single("Deployment", "platform-api");
        var observe = (await PlatformChart.RenderAsync(helm, "observe-mode")).Single("Deployment", "platform-api");
        var noOperator = (await PlatformChart.RenderAsync(helm, "operator-off")).Single("Deployment", "platform-api");

        // helm template cannot look up the live Deployment, so it renders replicaCount; an upgrade keeps the live count.
        Assert.Equal(1, enforce.Spec!["replicas"]!.GetValue<long>());
        Assert.Equal("platform-operator", enforce.Annotations["platform.dev/replicas-managed-by"]);
        Assert.False(observe.Annotations.ContainsKey("platform.dev/replicas-managed-by"));
        Assert.Equal(2, noOperator.Spec!["replicas"]!.GetValue<long>());
        Assert.False(noOperator.Annotations.ContainsKey("platform.dev/replicas-managed-by"));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Scale_in_drops_no_request_the_prestop_sleep_and_the_drain_fit_in_the_grace_period(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        foreach (var name in new[] { "platform-api", "platform-downstream" })
        {
            if (rendering.Find("Deployment", name) is not { } deployment)
            {
                continue;
            }
            var container = deployment.Containers.First();
            var sleep = container["lifecycle"]!["preStop"]!["exec"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
            Assert.Equal("sleep", sleep[0]);
            var drain = int.Parse(KubeObject.Env(container)["Shutdown__DrainTimeoutSeconds"]["value"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            var grace = deployment.PodSpec!["terminationGracePeriodSeconds"]!.GetValue<long>();
            Assert.True(int.Parse(sleep[1], System.Globalization.CultureInfo.InvariantCulture) + drain < grace, $"{name}: preStop {sleep[1]} s + drain {drain} s must be below {grace} s");
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_api_recycles_its_connections_as_the_values_say_and_the_downstream_does_not(string helm)
    {
        var defaults = await PlatformChart.RenderAsync(helm, "default");
        var set = await PlatformChart.RenderWithAsync(helm, "--set", "api.connections.maxAgeSeconds=30", "--set", "api.connections.maxRequests=1000");
        var off = await PlatformChart.RenderWithAsync(helm, "--set", "api.connections.maxAgeSeconds=0");
        Assert.True(set.Result.ExitCode == 0, set.Result.Describe());
        Assert.True(off.Result.ExitCode == 0, off.Result.Describe());
        var values = Yaml.Document(File.ReadAllText(Path.Combine(PlatformChart.Directory, "values.yaml")))!["api"]!["connections"]!;

        static (string? Age, string? Requests) Recycling(Rendering rendering, string deployment, string container)
        {
            var env = KubeObject.Env(rendering.Single("Deployment", deployment).Container(container));
            return (env.GetValueOrDefault("Connections__MaxAgeSeconds")?["value"]?.GetValue<string>(),
                env.GetValueOrDefault("Connections__MaxRequests")?["value"]?.GetValue<string>());
        }

        Assert.Equal((values["maxAgeSeconds"]!.ToString(), values["maxRequests"]!.ToString()), Recycling(defaults, "platform-api", "api"));
        Assert.Equal(("10", "0"), Recycling(defaults, "platform-api", "api"));
        Assert.Equal(("30", "1000"), Recycling(set, "platform-api", "api"));
        Assert.Equal(("0", "0"), Recycling(off, "platform-api", "api"));
        Assert.Equal((null, null), Recycling(defaults, "platform-downstream", "downstream"));
    }

    private static void AssertKey(Rendering rendering, string kind, string name, string key, string user)
    {
        var source = rendering.Find(kind, name);
        Assert.True(source is not null, $"{user}: {kind} {name} is not rendered");
        var data = (source.Node["data"] as JsonObject)?.Select(p => p.Key).Concat((source.Node["stringData"] as JsonObject)?.Select(p => p.Key) ?? []).ToHashSet() ?? [];
        Assert.True(data.Contains(key), $"{user}: {kind} {name} has no key {key} (it has {string.Join(", ", data)})");
    }

    /// <summary>The objects without what legitimately differs per render: generated secrets and the checksums over them.</summary>
    private static List<string> Normalized(Rendering rendering) => rendering.Objects.Select(o =>
    {
        var copy = o.Node.DeepClone().AsObject();
        if (o.Kind == "Secret")
        {
            copy.Remove("data");
        }
        if (copy["spec"]?["template"]?["metadata"]?["annotations"] is JsonObject annotations)
        {
            foreach (var key in annotations.Select(a => a.Key).Where(k => k.StartsWith("checksum/", StringComparison.Ordinal)).ToList())
            {
                annotations.Remove(key);
            }
        }
        return copy.ToJsonString();
    }).Order(StringComparer.Ordinal).ToList();
}
