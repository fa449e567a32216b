using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Kubernetes;
using Platform.Operator.Loops;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;
using Platform.Operator.Tests.Kubernetes;
using Platform.Testing;

namespace Platform.Operator.Tests.Controller;

/// <summary>
/// A cluster where the parts that can be real are: the Kubernetes API is the in-process fake (the only
/// fake), the "pod" is a real API process on 127.0.0.1 (pod IP 127.0.0.1; admin and pod-signal ports are its
/// control port), and Prometheus is real, scraping the control port with the namespace and pod labels the
/// chart's relabelling sets. Both loops are built as the operator builds them.
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
        var events = new EventRecorder(Client, "platform-operator");
        var status = new StatusWriter(Client, Metrics, NullLogger<StatusWriter>.Instance);
        Reconciler = new AutoscalerReconciler(Client, events, new PrometheusQueryClient(Http), new ReplicaActuator(Client), status, Metrics,
            TimeProvider.System, NullLogger<AutoscalerReconciler>.Instance);
        var loop = new MinThreadsLoop(new ScrapeSignalSource(Http, TimeProvider.System), new MinThreadsRollout(new MinThreadsActuator(Http)), Metrics,
            TimeProvider.System, NullLogger<MinThreadsLoop>.Instance);
        MinThreads = new MinThreadsReconciler(Client, events, loop, status, TimeProvider.System, NullLogger<MinThreadsReconciler>.Instance);
    }

    public FakeApiServer Server { get; }

    public ApiProcess Api { get; }

    public PrometheusServer? Prometheus { get; }

    public ServiceProvider Services { get; }

    public KubernetesApiClient Client { get; }

    public HttpClient Http { get; }

    public OperatorMetrics Metrics { get; }

    public AutoscalerReconciler Reconciler { get; }

    public MinThreadsReconciler MinThreads { get; }

    /// <summary>The memory one operator process keeps for the autoscaler; a new one is a restarted operator.</summary>
    public AutoscalerMemory Memory { get; set; } = new($"{Namespace}/api");

    /// <summary>One evaluation of the replica loop on the stored autoscaler.</summary>
    public Task<bool> ReconcileAsync(CancellationToken cancellationToken) => Reconciler.ReconcileAsync(Read(), Memory, cancellationToken);

    /// <summary>One tick of the min-threads loop on the stored autoscaler.</summary>
    public Task TickAsync(CancellationToken cancellationToken) => MinThreads.TickAsync(Read(), Memory, cancellationToken);

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
        Server.Put(ApiResource.Deployments, new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = Deployment, NamespaceProperty = Namespace },
            Spec = new V1DeploymentSpec { Replicas = 1, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "api" } } },
        });
        PutPod(ready: true, cpuRequest);
        Server.Put(ApiResource.Secrets, new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = TokenSecret, NamespaceProperty = Namespace },
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(ApiProcess.AdminToken) },
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
            MinThreads = new MinThreadsPolicy { Baseline = 2, Max = 200 },
            PodSignals = new PodSignalSource { Port = Api.ControlPort, IntervalMilliseconds = 1000 },
            Replicas = new ReplicaPolicy { Min = 1, Max = 10 },
            Admin = new AdminEndpoint { Port = Api.ControlPort, TokenSecretRef = new SecretKeyReference { Name = TokenSecret } },
        };
        adjust?.Invoke(spec);
        var stored = Server.Put(ApiResource.ThreadPoolAutoscalers, new ThreadPoolAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Spec = spec,
        });
        return KubernetesJson.Deserialize<ThreadPoolAutoscaler>(stored);
    }

    /// <summary>The API pod, Ready or (as a starved pod failing its readiness probe) not.</summary>
    public void PutPod(bool ready, string cpuRequest = "500m") =>
        Server.Put(ApiResource.Pods, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = PodName, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "api" } },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "api", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuRequest) } } }],
            },
            Status = new V1PodStatus { Phase = "Running", PodIP = "127.0.0.1", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] },
        });

    public ThreadPoolAutoscaler Read(string name = "api") => Server.Get<ThreadPoolAutoscaler>(ApiResource.ThreadPoolAutoscalers, Namespace, name)!;

    public IReadOnlyList<Corev1Event> Events() =>
        Server.All(ApiResource.Events).Select(e => KubernetesJson.Deserialize<Corev1Event>(e)).ToList();

    public int DeploymentReplicas() => Server.Get<V1Deployment>(ApiResource.Deployments, Namespace, Deployment)!.Spec.Replicas ?? 0;

    public bool ScaleWasPatched() => Server.Requests.Any(r => r.Method == "PATCH" && r.Path.EndsWith("/scale", StringComparison.Ordinal));

    public async Task<int> ApiMinWorkerThreadsAsync()
    {
        var metrics = MetricsText.Parse(await Http.GetStringAsync(new Uri(Api.ControlBaseAddress, "metrics")));
        return (int)metrics.Sum("platform_thread_pool_min_threads", l => l["kind"] == "worker");
    }

    /// <summary>Sets the API's min threads directly, as a restart (or a person) would.</summary>
    public async Task SetApiMinWorkerThreadsAsync(int value)
    {
        using var request = Api.AdminRequest(HttpMethod.Put, "/admin/threadpool", System.Net.Http.Json.JsonContent.Create(new { minWorkerThreads = value }));
        (await Api.Client.SendAsync(request)).EnsureSuccessStatusCode();
    }

    /// <summary>PUTs that reached the API's admin endpoint from anyone (the API counts them).</summary>
    public async Task<double> AdminChangesAsync()
    {
        var metrics = MetricsText.Parse(await Http.GetStringAsync(new Uri(Api.ControlBaseAddress, "metrics")));
        return metrics.Sum("platform_thread_pool_admin_changes_total");
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
