using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using Platform.Api.Data;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Hosting;
using Platform.Testing;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The chart against the code it deploys: every setting it gives the API is a real, valid option; the real API
/// and operator, started with the chart's settings, answer on the chart's ports and paths; the autoscaler the
/// chart creates is one the operator accepts; names of metrics and jobs are the contract's.
/// </summary>
public sealed partial class AppConsistencyTests
{
    private static readonly string[] ApiScenarios = ["default", "postgres", "sqlserver"];

    [Fact]
    public async Task Every_Section__Property_setting_the_chart_gives_the_api_binds_to_a_real_option_and_validates()
    {
        var checkedSettings = new HashSet<string>();
        foreach (var scenario in ApiScenarios)
        {
            var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, scenario);
            foreach (var (deployment, container) in new[] { ("platform-api", "api"), ("platform-downstream", "downstream") })
            {
                var env = KubeObject.Env(rendering.Single("Deployment", deployment).Container(container));
                var bySection = env.Keys.Where(k => k.Contains("__", StringComparison.Ordinal))
                    .GroupBy(k => k[..k.IndexOf("__", StringComparison.Ordinal)]);
                foreach (var section in bySection)
                {
                    var type = OptionsType(section.Key);
                    var options = Activator.CreateInstance(type)!;
                    foreach (var name in section)
                    {
                        var propertyName = name[(section.Key.Length + 2)..];
                        var property = type.GetProperty(propertyName, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                        Assert.True(property?.SetMethod?.IsPublic == true, $"{name}: {type.Name} has no settable property {propertyName}");
                        checkedSettings.Add(name);
                        if (env[name]["value"]?.GetValue<string>() is { } value)
                        {
                            property.SetValue(options, Convert(value, property.PropertyType, name));
                        }
                    }
                    var errors = new List<ValidationResult>();
                    Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
                    if (options is IValidatableObject validatable)
                    {
                        errors.AddRange(validatable.Validate(new ValidationContext(options)));
                    }
                    Assert.True(errors.Count == 0, $"{scenario}/{container} {section.Key}: {string.Join("; ", errors.Select(e => e.ErrorMessage))}");
                }
            }
        }
        Assert.Superset(new HashSet<string> { "Admin__Port", "Admin__Token", "Database__Provider", "Database__ConnectionString", "Downstream__BaseUrl", "Shutdown__DrainTimeoutSeconds", "Control__Port", "Connections__MaxAgeSeconds", "Connections__MaxRequests" }, checkedSettings);
    }

    [Fact]
    public async Task The_real_api_started_with_the_charts_settings_answers_on_the_charts_ports_and_paths()
    {
        var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, "default");
        var deployment = rendering.Single("Deployment", "platform-api");
        var container = deployment.Container("api");
        var ports = container["ports"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["containerPort"]!.GetValue<long>());
        // The same ports, moved to free ones on loopback: a test machine may already use 8080.
        var local = ports.ToDictionary(p => p.Value, _ => (long)FreeTcpPort.Next());
        var environment = new Dictionary<string, string>();
        foreach (var (name, entry) in KubeObject.Env(container))
        {
            if (entry["value"]?.GetValue<string>() is { } value && !name.StartsWith("Database__", StringComparison.Ordinal))
            {
                environment[name] = MovePorts(value.Replace("http://+:", "http://127.0.0.1:", StringComparison.Ordinal), local);
            }
        }

        await using var api = await ApiProcess.StartAsync(environment, waitForReady: false, port: (int)local[ports["http"]]);
        await api.WaitForReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var cancel = TestContext.Current.CancellationToken;

        foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
        {
            var get = container[probe]!["httpGet"]!;
            var port = local[ports[get["port"]!.GetValue<string>()]];
            using var response = await client.GetAsync($"http://127.0.0.1:{port}{get["path"]}", cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var scrapePort = local[long.Parse(deployment.PodAnnotations["prometheus.io/port"], CultureInfo.InvariantCulture)];
        var metrics = await client.GetStringAsync($"http://127.0.0.1:{scrapePort}{deployment.PodAnnotations["prometheus.io/path"]}", cancel);
        Assert.Contains("dotnet_thread_pool_queue_length", metrics);
        Assert.Equal(HttpStatusCode.OK, await AdminStatus(client, local[ports["admin"]], cancel));
        Assert.Equal(HttpStatusCode.NotFound, await AdminStatus(client, local[ports["http"]], cancel));
    }

    [Theory]
    [InlineData("default", "platform")]
    [InlineData("all-namespaces", null)]
    public async Task The_operator_accepts_the_charts_command_line_as_cluster_mode(string scenario, string? watchNamespace)
    {
        var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, scenario);
        var container = rendering.Single("Deployment", "platform-operator").Container("operator");
        var args = container["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        OperatorSettings? parsed = null;

        var exitCode = await OperatorCommand.Create((settings, _) =>
        {
            parsed = settings;
            return Task.FromResult(0);
        }).Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.NotNull(parsed);
        Assert.Null(parsed.Local);
        Assert.Equal(new ClusterSettings(null, watchNamespace, PlatformChart.Namespace, "platform-operator"), parsed.Cluster);
        Assert.Equal("http://0.0.0.0:8080", parsed.Listen);
        Assert.Equal("metadata.name", KubeObject.Env(container)["POD_NAME"]["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_real_operator_answers_its_probes_and_scrapes_on_the_charts_paths()
    {
        var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, "default");
        var deployment = rendering.Single("Deployment", "platform-operator");
        var container = deployment.Container("operator");
        var port = FreeTcpPort.Next();
        var dll = Path.Combine(AppContext.BaseDirectory, "Platform.Operator.dll");
        // Local mode needs no cluster; the web host (probes, /metrics) is the same one cluster mode runs.
        await using var process = ChildProcess.Start("dotnet",
            [dll, "--local", "--target", "http://127.0.0.1:9/", "--listen", $"http://127.0.0.1:{port}"],
            new Dictionary<string, string> { ["PLATFORM_ADMIN_TOKEN"] = ApiProcess.AdminToken });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var cancel = TestContext.Current.CancellationToken;

        var paths = new[] { "livenessProbe", "readinessProbe" }.Select(p => container[p]!["httpGet"]!["path"]!.GetValue<string>())
            .Append(deployment.PodAnnotations["prometheus.io/path"]).ToList();
        Assert.Equal(container["ports"]![0]!["containerPort"]!.ToString(), deployment.PodAnnotations["prometheus.io/port"]);
        foreach (var path in paths)
        {
            var status = await Eventually(async () => (await client.GetAsync($"http://127.0.0.1:{port}{path}", cancel)).StatusCode, process, cancel);
            Assert.True(status == HttpStatusCode.OK, $"{path}: {status}");
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.ScenarioNames), MemberType = typeof(PlatformChart))]
    public async Task The_autoscaler_the_chart_creates_is_one_the_operator_accepts(string scenario)
    {
        var rendering = await PlatformChart.RenderAsync(RequiredTool.Helm3, scenario);
        if (rendering.Find("ThreadPoolAutoscaler", "platform-api") is not { } rendered)
        {
            Assert.Equal("operator-off", scenario);
            return;
        }

        var autoscaler = KubernetesJson.Deserialize<ThreadPoolAutoscaler>(rendered.Node);
        var validation = SpecValidator.Validate(autoscaler.Spec);

        Assert.True(validation.IsValid, string.Join("; ", validation.Errors));
        Assert.Equal("platform-api", autoscaler.Spec.TargetRef.Name);
        Assert.NotNull(rendering.Find("Deployment", autoscaler.Spec.TargetRef.Name));
        Assert.Matches(@"^https?://", autoscaler.Spec.Prometheus.Url);
    }

    [Fact]
    public void Every_metric_name_in_the_chart_is_in_the_metrics_contract()
    {
        var known = MetricsContract.Metrics.SelectMany(m => new[] { m.Name, $"{m.Name}_bucket", $"{m.Name}_sum", $"{m.Name}_count" }).ToHashSet();
        var files = Directory.GetFiles(Path.Combine(PlatformChart.Directory, "templates"), "*", SearchOption.AllDirectories)
            .Append(Path.Combine(PlatformChart.Directory, "values.yaml"));

        var unknown = files.SelectMany(f => MetricName().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Name: m.Value)))
            .Where(m => !known.Contains(m.Name))
            .ToList();

        Assert.True(MetricsContract.Metrics.Count > 20, "the contract was not read");
        Assert.Empty(unknown);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Prometheus_gives_every_series_namespace_pod_and_the_component_as_job(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var config = Yaml.Document(rendering.Single("ConfigMap", "platform-prometheus").Node["data"]!["prometheus.yml"]!.GetValue<string>())!;

        var job = Assert.Single(config["scrape_configs"]!.AsArray());
        Assert.Equal("5s", job!["scrape_interval"]!.GetValue<string>());
        var discovery = Assert.Single(job["kubernetes_sd_configs"]!.AsArray());
        Assert.Equal("pod", discovery!["role"]!.GetValue<string>());
        Assert.Equal([PlatformChart.Namespace], discovery["namespaces"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        var targets = job["relabel_configs"]!.AsArray()
            .Where(r => r!["target_label"]?.GetValue<string>() is "namespace" or "pod" or "job")
            .ToDictionary(r => r!["target_label"]!.GetValue<string>(), r => string.Join(',', r!["source_labels"]!.AsArray().Select(s => s!.GetValue<string>())), StringComparer.Ordinal);
        Assert.Equal("__meta_kubernetes_namespace", targets["namespace"]);
        Assert.Equal("__meta_kubernetes_pod_name", targets["pod"]);
        Assert.Equal("__meta_kubernetes_pod_label_app_kubernetes_io_component", targets["job"]);
        Assert.Contains("--web.enable-remote-write-receiver", rendering.Single("Deployment", "platform-prometheus").Container("prometheus")["args"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_dashboards_and_rules_name_only_jobs_the_chart_scrapes(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");
        var scraped = rendering.Workloads.Where(w => w.PodAnnotations.GetValueOrDefault("prometheus.io/scrape") == "true")
            .Select(w => w.Labels["app.kubernetes.io/component"]).ToHashSet();
        var sources = Directory.GetFiles(RepositoryPaths.Combine("dashboards"), "*.json")
            .Concat(Directory.GetFiles(RepositoryPaths.Combine("prometheus", "rules"), "*.yaml"));

        var jobs = sources.SelectMany(f => JobLiteral().Matches(File.ReadAllText(f).Replace("\\\"", "\"", StringComparison.Ordinal)).Select(m => m.Groups[1].Value)).ToHashSet();

        Assert.Equal(["api", "downstream", "operator"], scraped.Order(StringComparer.Ordinal));
        Assert.Subset(scraped, jobs);
    }

    private static Type OptionsType(string section)
    {
        var types = typeof(DatabaseOptions).Assembly.GetTypes()
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && (string?)field.GetRawConstantValue() == section)
            .ToList();
        return Assert.Single(types);
    }

    private static object? Convert(string value, Type type, string name)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            return target.IsEnum ? Enum.Parse(target, value, ignoreCase: true)
                : target == typeof(string) ? value
                : System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidCastException or OverflowException)
        {
            Assert.Fail($"{name}={value} does not convert to {target.Name}: {ex.Message}");
            return null;
        }
    }

    private static string MovePorts(string value, IReadOnlyDictionary<long, long> moves) =>
        PortNumber().Replace(value, m => moves.TryGetValue(long.Parse(m.Value, CultureInfo.InvariantCulture), out var to) ? to.ToString(CultureInfo.InvariantCulture) : m.Value);

    private static async Task<HttpStatusCode> AdminStatus(HttpClient client, long port, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/admin/threadpool");
        request.Headers.Authorization = new("Bearer", ApiProcess.AdminToken);
        using var response = await client.SendAsync(request, cancel);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> Eventually(Func<Task<HttpStatusCode>> call, ChildProcess process, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(200, cancel);
            }
            catch (HttpRequestException ex)
            {
                Assert.Fail($"the operator did not answer: {ex.Message}\n{process.RecentOutput}");
            }
        }
    }

    [GeneratedRegex(@"\b(platform|dotnet|http_server|http_client|kestrel|aspnetcore)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\bjob\s*=\s*""([a-z0-9-]+)""")]
    private static partial Regex JobLiteral();

    [GeneratedRegex(@"(?<=[:=])\d{2,5}\b|^\d{2,5}$")]
    private static partial Regex PortNumber();
}
