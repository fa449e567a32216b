using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// Every rendered object against the Kubernetes OpenAPI schemas, without an API server: charts/tests/validate.mjs
/// (kubernetes-models' compiled schemas, unknown fields from its type declarations, custom resources against
/// their CRD's openAPIV3Schema with ajv). `kubectl apply --dry-run=client --validate=strict` would need a server
/// to fetch the schemas from, and there is none here. And the chart's own values.schema.json: bad values are
/// refused before anything renders, with a message that names the value.
/// </summary>
public sealed class SchemaValidationTests
{
    [Theory]
    [MemberData(nameof(PlatformChart.HelmAndScenarios), MemberType = typeof(PlatformChart))]
    public async Task Every_rendered_object_matches_its_Kubernetes_schema(string helm, string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(helm, scenario);

        var result = await Validate(rendering.Result.StandardOutput);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains($"{rendering.Objects.Count} objects validated, 0 failed", result.StandardOutput);
        // The ThreadPoolAutoscaler was checked against the CRD's own schema, not waved through.
        if (rendering.OfKind("ThreadPoolAutoscaler").Any())
        {
            Assert.Contains("ThreadPoolAutoscaler/platform-api (CRD schema)", result.StandardOutput);
        }
    }

    [Fact]
    public async Task The_validator_rejects_wrong_types_unknown_fields_out_of_bounds_custom_resources_and_unknown_kinds()
    {
        const string broken = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: typo}
            spec:
              selector: {matchLabels: {a: b}}
              template:
                metadata: {labels: {a: b}}
                spec:
                  containers:
                    - name: c
                      image: i
                      readinesProbe: {httpGet: {path: /healthz/ready, port: 8080}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: wrong-type}
            spec:
              ports: [{port: "eighty"}]
            ---
            apiVersion: autoscaling.platform.dev/v1alpha1
            kind: ThreadPoolAutoscaler
            metadata: {name: out-of-bounds}
            spec:
              targetRef: {name: api}
              admin: {tokenSecretRef: {name: token}, port: 70000}
              mode: Sometimes
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: unknown-kind}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: fine}
            data: {a: b}
            """;

        var result = await Validate(broken);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL apps/v1 Deployment/typo: spec.template.spec.containers[0].readinesProbe: unknown field", result.StandardOutput);
        Assert.Contains("FAIL v1 Service/wrong-type:", result.StandardOutput);
        Assert.Contains("/spec/admin/port must be <= 65535", result.StandardOutput);
        Assert.Contains("/spec/mode must be equal to one of the allowed values", result.StandardOutput);
        Assert.Contains("FAIL example.com/v1 Widget/unknown-kind: no schema", result.StandardOutput);
        Assert.Contains("ok   v1 ConfigMap/fine", result.StandardOutput);
        Assert.Contains("5 objects validated, 4 failed", result.StandardOutput);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        // --set argument, a fragment of helm 3's message, a fragment of helm 4's message
        { "api.replicaCount=-1", "api.replicaCount: Must be greater than or equal to 0", "at '/api/replicaCount': minimum" },
        { "database.provider=mysql", "database.provider must be one of the following", "at '/database/provider': value must be one of" },
        { "api.resources.requests.cpu=1", "api.resources.requests.cpu: Invalid type. Expected: string, given: integer", "at '/api/resources/requests/cpu': got number, want string" },
        { "api.replicas=3", "Additional property replicas is not allowed", "additional properties 'replicas' not allowed" },
        { "operator.autoscaler.mode=Auto", "operator.autoscaler.mode must be one of the following", "at '/operator/autoscaler/mode'" },
        { "operator.autoscaler.cpu.targetUtilizationPercent=150", "Must be less than or equal to 100", "maximum: got 150, want 100" },
        { "admin.token=too-short", "admin.token", "at '/admin/token'" },
        { "loadtest.testId=Not_A_Name", "loadtest.testId: Does not match pattern", "at '/loadtest/testId'" },
        { "prometheus.scrapeInterval=fast", "prometheus.scrapeInterval: Does not match pattern", "at '/prometheus/scrapeInterval'" },
        { "api.connections.maxAgeSeconds=86401", "api.connections.maxAgeSeconds: Must be less than or equal to 86400", "at '/api/connections/maxAgeSeconds': maximum" },
        { "api.connections.maxRequests=-1", "api.connections.maxRequests: Must be greater than or equal to 0", "at '/api/connections/maxRequests': minimum" },
        { "database.sqlserver.memoryLimitMb=1024", "database.sqlserver.memoryLimitMb: Must be greater than or equal to 2048", "at '/database/sqlserver/memoryLimitMb': minimum" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Bad_values_are_refused_by_the_values_schema_with_a_message_naming_them(string set, string helm3Message, string helm4Message)
    {
        foreach (var (helm, message) in new[] { (RequiredTool.Helm3, helm3Message), (RequiredTool.Helm4, helm4Message) })
        {
            var rendering = await PlatformChart.RenderWithAsync(helm, "--set", set);

            Assert.NotEqual(0, rendering.Result.ExitCode);
            Assert.Contains("values don't meet the specifications of the schema", rendering.Result.StandardError);
            Assert.Contains(message, rendering.Result.StandardError);
        }
    }

    public static TheoryData<string[], string> InconsistentValues => new()
    {
        { ["operator.autoscaler.replicas.min=5"], "operator.autoscaler.replicas.min (5) must not exceed replicas.max (4)" },
        { ["operator.autoscaler.minThreads.baseline=600"], "minThreads.baseline (600) must not exceed minThreads.max (500)" },
        { ["api.threadPool.minThreadsCap=100"], "minThreads.max (500) must not exceed api.threadPool.minThreadsCap (100)" },
        { ["api.shutdown.drainTimeoutSeconds=40"], "must exceed preStopSleepSeconds + drainTimeoutSeconds (45)" },
        { ["api.adminPort=8080"], "api.adminPort must differ from the traffic port 8080" },
        { ["api.controlPort=8081"], "api.controlPort must differ from the traffic and admin ports" },
        { ["loadtest.enabled=true", "loadtest.scenario=no-such-scenario"], "loadtest.scenario: no scenario \"no-such-scenario\"" },
        { ["prometheus.enabled=false"], "needs a Prometheus: enable prometheus, or set externalPrometheus.url" },
        { ["database.provider=sqlserver"], "database.sqlserver.acceptEula: the in-cluster SQL Server runs only once you accept its licence terms" },
    };

    [Theory]
    [MemberData(nameof(InconsistentValues))]
    public async Task Values_that_contradict_each_other_fail_the_render_with_the_reason(string[] sets, string message)
    {
        foreach (var helm in RequiredTool.HelmVersions)
        {
            var rendering = await PlatformChart.RenderWithAsync(helm, [.. sets.SelectMany(s => new[] { "--set", s })]);

            Assert.NotEqual(0, rendering.Result.ExitCode);
            Assert.Contains(message, rendering.Result.StandardError);
        }
    }

    private static async Task<ToolResult> Validate(string yaml)
    {
        var folder = RequiredTool.ChartTestsFolder();
        return await ToolRun.RunAsync(RequiredTool.Find("node"),
            [Path.Combine(folder, "validate.mjs"), "--crd", PlatformChart.CrdFile],
            standardInput: yaml,
            workingDirectory: folder);
    }
}
