using System.Text.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Kubernetes;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;
using Platform.Operator.Tests.Kubernetes;
using Platform.Testing;

namespace Platform.Operator.Tests.Controller;

/// <summary>
/// A cluster where the parts that can be real are: the Kubernetes API is the in-process fake (the only
/// fake), the "pod" is a real API process on 127.0.0.1 (pod IP 127.0.0.1, admin port = its port), and
/// Prometheus is real, scraping it with the namespace and pod labels the chart's relabelling sets.
/// </summary>
internal sealed class ClusterFixture : IAsyncDisposable
{
    public const string Namespace = "platform";
    public const string Deployment = "platform-api";
    public const string PodName = "api-0";
    public const string TokenSecret = "platform-admin";

    private ClusterFixture(FakeApiServer server, ApiProcess api, PrometheusServer? prometheus, ServiceProvider services)
    {
        Server = server;
        Api = api;
        Prometheus = prometheus;
        Services = services;
        Client = server.CreateClient();
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Metrics = services.GetRequiredService<OperatorMetrics>();
        Reconciler = new AutoscalerReconciler(Client, new EventRecorder(Client, "platform-operator"), new PrometheusQueryClient(Http),
            new MinThreadsRollout(new MinThreadsActuator(Http)), Metrics, TimeProvider.System, NullLogger<AutoscalerReconciler>.Instance);
    }

    public FakeApiServer Server { get; }

    public ApiProcess Api { get; }

    public PrometheusServer? Prometheus { get; }

    public ServiceProvider Services { get; }

    public KubernetesApiClient Client { get; }

    public HttpClient Http { get; }

    public OperatorMetrics Metrics { get; }

    public AutoscalerReconciler Reconciler { get; }

    public static async Task<ClusterFixture> StartAsync(bool withPrometheus, string cpuRequest = "500m")
    {
        var server = await FakeApiServer.StartAsync();
        var api = await ApiProcess.StartAsync();
        PrometheusServer? prometheus = null;
        if (withPrometheus)
        {
            prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
            {
                Targets = [new ScrapeTarget("api", api.ControlAddress, Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = PodName })],
                ScrapeInterval = TimeSpan.FromSeconds(1),
            });
            await prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30));
        }
        var services = new ServiceCollection().AddMetrics().AddSingleton<OperatorMetrics>().BuildServiceProvider();
        var fixture = new ClusterFixture(server, api, prometheus, services);
        fixture.SeedCluster(cpuRequest);
        return fixture;
    }

    private void SeedCluster(string cpuRequest)
    {
        Server.Put(KubeResource.Deployments, new Platform.Operator.Kubernetes.Deployment
        {
            Metadata = new ObjectMeta { Name = Deployment, Namespace = Namespace },
            Spec = new DeploymentSpec { Replicas = 1, Selector = new LabelSelector { MatchLabels = new() { ["app.kubernetes.io/component"] = "api" } } },
        });
        Server.Put(KubeResource.Pods, new Pod
        {
            Metadata = new ObjectMeta { Name = PodName, Namespace = Namespace, Labels = new() { ["app.kubernetes.io/component"] = "api" } },
            Spec = new PodSpec { Containers = [new Container { Name = "api", Resources = new ResourceRequirements { Requests = new() { ["cpu"] = cpuRequest } } }] },
            Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.1", Conditions = [new PodCondition { Type = "Ready", Status = "True" }] },
        });
        Server.Put(KubeResource.Secrets, new Secret
        {
            Metadata = new ObjectMeta { Name = TokenSecret, Namespace = Namespace },
            Data = new() { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiProcess.AdminToken)) },
        });
    }

    /// <summary>An autoscaler for the API with short windows, so a test sees decisions within seconds.</summary>
    public ThreadPoolAutoscaler Autoscaler(Action<ThreadPoolAutoscalerSpec>? adjust = null, string name = "api")
    {
        var spec = new ThreadPoolAutoscalerSpec
        {
            TargetRef = new TargetReference { Name = Deployment },
            EvaluationIntervalSeconds = 5,
            Prometheus = new PrometheusSource { Url = Prometheus?.BaseAddress.ToString() ?? $"http://127.0.0.1:{FreeTcpPort.Next()}/", WindowSeconds = 10, MaxStalenessSeconds = 15 },
            MinThreads = new MinThreadsPolicy { Baseline = 2, Max = 200, Step = 32 },
            Replicas = new ReplicaPolicy { Min = 1, Max = 10 },
            Admin = new AdminEndpoint { Port = Api.BaseAddress.Port, TokenSecretRef = new SecretKeyReference { Name = TokenSecret } },
        };
        adjust?.Invoke(spec);
        var stored = Server.Put(KubeResource.ThreadPoolAutoscalers, new ThreadPoolAutoscaler
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Namespace },
            Spec = spec,
        });
        return stored.Deserialize<ThreadPoolAutoscaler>(KubeJson.Options)!;
    }

    public ThreadPoolAutoscaler Read(string name = "api") => Server.Get<ThreadPoolAutoscaler>(KubeResource.ThreadPoolAutoscalers, Namespace, name)!;

    public IReadOnlyList<Event> Events() =>
        Server.All(KubeResource.Events).Select(e => e.Deserialize<Event>(KubeJson.Options)!).ToList();

    public int DeploymentReplicas() => Server.Get<Platform.Operator.Kubernetes.Deployment>(KubeResource.Deployments, Namespace, Deployment)!.Spec.Replicas ?? 0;

    public bool ScaleWasPatched() => Server.Requests.Any(r => r.Method == "PATCH" && r.Path.EndsWith("/scale", StringComparison.Ordinal));

    public async Task<int> ApiMinWorkerThreadsAsync()
    {
        var metrics = MetricsText.Parse(await Api.Client.GetStringAsync("/metrics"));
        return (int)metrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Services.DisposeAsync();
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
        await Api.DisposeAsync();
        await Server.DisposeAsync();
    }
}
