using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Platform.Api.Tests.Infrastructure;
using Platform.Operator.Api;
using Platform.Operator.Tests.Kubernetes;
using Platform.Testing;

namespace Platform.Observability.Tests.Experiments;

/// <summary>
/// The chart's install on one machine, with every part real except the Kubernetes API: the fake API server
/// (shaped like kube-apiserver) holds the Deployment, its pods, the admin Secret and the ThreadPoolAutoscaler;
/// the operator (Platform.Operator.dll, its own process) runs in cluster mode against it through a kubeconfig; a small pod controller plays the Deployment
/// controller and kubelet, starting one API process per replica on its own loopback address (127.0.0.N is
/// the pod IP; every pod has the same HTTP and control ports, as pods of one Deployment do) and marking it
/// Ready once /healthz/ready answers; a per-connection balancer plays the Service (kube-proxy); and a real
/// Prometheus scrapes the pods through file service discovery with the namespace and pod labels the chart's
/// scrape config gives them, and the operator as job="operator".
/// Not applied: scale-down (the runs are shorter than the scale-down window; a decrease is recorded as an
/// error), rolling updates, and CPU limits (each pod runs with DOTNET_PROCESSOR_COUNT=1, the chart's limit
/// of one core, but shares the machine's cores with the others).
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string Namespace = "platform";
    public const string Deployment = "platform-api";
    public const string AutoscalerName = "api";
    public const string TokenSecret = "platform-admin";
    public const string CpuRequest = "500m";
    private const string FirstPodAddress = "127.0.0.";
    private const int FirstPodHost = 10;

    private readonly FakeApiServer _server;
    private readonly PerConnectionBalancer _balancer;
    private readonly string _folder;
    private readonly string _targetsFile;
    private readonly int _apiPort = FreeTcpPort.Next();
    private readonly int _controlPort = FreeTcpPort.Next();
    private readonly List<ApiProcess> _pods = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
    private Task _podController = Task.CompletedTask;
    private ChildProcess? _operator;

    private LocalCluster(FakeApiServer server, PerConnectionBalancer balancer, string folder)
    {
        _server = server;
        _balancer = balancer;
        _folder = folder;
        _targetsFile = Path.Combine(folder, "api-targets.json");
        OperatorPort = FreeTcpPort.Next();
    }

    public PrometheusServer Prometheus { get; private set; } = null!;

    public int OperatorPort { get; }

    /// <summary>The Service: one address in front of every Ready pod, a backend chosen per connection.</summary>
    public Uri ServiceAddress => _balancer.BaseAddress;

    /// <summary>The autoscaler's name as the operator labels its series.</summary>
    public static string AutoscalerLabel => $"{Namespace}/{AutoscalerName}";

    /// <summary>Pods started so far (Ready or not).</summary>
    public int PodCount
    {
        get
        {
            lock (_gate)
            {
                return _pods.Count;
            }
        }
    }

    /// <summary>What the pod controller could not do (a scale-down, a pod that never became ready).</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    public static async Task<LocalCluster> StartAsync(Action<ThreadPoolAutoscalerSpec> adjustSpec, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("platform-local-cluster-").FullName;
        var server = await FakeApiServer.StartAsync();
        var cluster = new LocalCluster(server, new PerConnectionBalancer(), folder);
        try
        {
            await cluster.StartPartsAsync(adjustSpec, cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private async Task StartPartsAsync(Action<ThreadPoolAutoscalerSpec> adjustSpec, CancellationToken cancellationToken)
    {
        _server.Put(ApiResource.Deployments, new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = Deployment, NamespaceProperty = Namespace },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "api" } },
            },
        });
        _server.Put(ApiResource.Secrets, new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = TokenSecret, NamespaceProperty = Namespace },
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(ApiProcess.AdminToken) },
        });
        await WriteTargetsAsync([]);
        await ReconcilePodsAsync(1, cancellationToken);

        var prometheusPort = FreeTcpPort.Next();
        Prometheus = await PrometheusServer.StartAsync(new PrometheusServerOptions
        {
            Port = prometheusPort,
            ScrapeInterval = TimeSpan.FromSeconds(1),
            EnableRemoteWriteReceiver = true,
            FileDiscoveredJobs = [new FileDiscoveredJob("api", _targetsFile)],
            Targets =
            [
                new ScrapeTarget("operator", $"127.0.0.1:{OperatorPort}",
                    Labels: new Dictionary<string, string> { ["namespace"] = Namespace, ["pod"] = "platform-operator-0" }),
            ],
        }, cancellationToken);

        var spec = new ThreadPoolAutoscalerSpec
        {
            TargetRef = new TargetReference { Name = Deployment },
            EvaluationIntervalSeconds = 5,
            Prometheus = new PrometheusSource { Url = Prometheus.BaseAddress.ToString(), WindowSeconds = 10, MaxStalenessSeconds = 15 },
            MinThreads = new MinThreadsPolicy { Baseline = 2, Max = 200 },
            PodSignals = new PodSignalSource { Port = _controlPort, IntervalMilliseconds = 1000 },
            Replicas = new ReplicaPolicy { Min = 1, Max = 3 },
            Starvation = new StarvationPolicy { SchedulingDelayThresholdMilliseconds = 50, QueueLengthThreshold = 10 },
            Behavior = new ScalingBehavior { ScaleUpPeriodSeconds = 5, ScaleDownStabilizationWindowSeconds = 600 },
            Admin = new AdminEndpoint { Port = _controlPort, TokenSecretRef = new SecretKeyReference { Name = TokenSecret } },
        };
        adjustSpec(spec);
        _server.Put(ApiResource.ThreadPoolAutoscalers, new ThreadPoolAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = AutoscalerName, NamespaceProperty = Namespace },
            Spec = spec,
        });

        var kubeconfig = Path.Combine(_folder, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster:
                server: {_server.BaseAddress.ToString().TrimEnd('/')}
            users:
            - name: operator
              user:
                token: {FakeApiServer.DefaultToken}
            contexts:
            - name: local
              context:
                cluster: local
                user: operator
                namespace: {Namespace}
            current-context: local

            """, cancellationToken);
        // Its own process, as in its pod: its thread pool is not the load generator's, and its log is its own.
        _operator = ChildProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Platform.Operator.dll"), "--kubeconfig", kubeconfig, "--namespace", Namespace,
                "--lease-namespace", Namespace, "--listen", $"http://127.0.0.1:{OperatorPort}"],
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning", ["Logging__LogLevel__Platform"] = "Information", ["POD_NAME"] = "platform-operator-0" });
        _podController = Task.Run(PodControllerAsync, CancellationToken.None);
        await Prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>The operator's recent log lines (its decisions, warnings and errors).</summary>
    public string OperatorLog => _operator?.RecentOutput ?? "";

    /// <summary>The Deployment's replicas as the operator last set them.</summary>
    public int DesiredReplicas() => _server.Get<V1Deployment>(ApiResource.Deployments, Namespace, Deployment)?.Spec.Replicas ?? 0;

    /// <summary>Connections the Service placed on each pod so far.</summary>
    public IReadOnlyDictionary<string, int> ConnectionsPerPod()
    {
        lock (_gate)
        {
            return _pods.Select((p, i) => (Name: PodName(i), Count: _balancer.ConnectionsTo(p.BaseAddress))).ToDictionary(p => p.Name, p => p.Count);
        }
    }

    private static string PodName(int index) => $"{Deployment}-{index}";

    private static string PodHost(int index) => FirstPodAddress + (FirstPodHost + index).ToString(CultureInfo.InvariantCulture);

    private async Task PodControllerAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await ReconcilePodsAsync(DesiredReplicas(), _stop.Token);
                await Task.Delay(250, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or HttpRequestException)
            {
                Record($"pod controller: {ex.Message}");
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    private async Task ReconcilePodsAsync(int desired, CancellationToken cancellationToken)
    {
        var current = PodCount;
        if (desired < current)
        {
            if (!Errors.Any(e => e.StartsWith("scale-down", StringComparison.Ordinal)))
            {
                Record($"scale-down to {desired} not applied: the local cluster only adds pods");
            }
            return;
        }
        for (var index = current; index < desired; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PutPod(index, ready: false);
            var pod = await ApiProcess.StartAsync(new Dictionary<string, string>
            {
                ["Control__Port"] = _controlPort.ToString(CultureInfo.InvariantCulture),
                ["DOTNET_PROCESSOR_COUNT"] = "1",
            }, port: _apiPort, host: PodHost(index));
            lock (_gate)
            {
                _pods.Add(pod);
            }
            PutPod(index, ready: true);
            _balancer.Add(pod.BaseAddress);
            await WriteTargetsAsync([.. Enumerable.Range(0, index + 1)]);
            var deployment = _server.Get<V1Deployment>(ApiResource.Deployments, Namespace, Deployment)!;
            deployment.Status = new V1DeploymentStatus { Replicas = index + 1, ReadyReplicas = index + 1, AvailableReplicas = index + 1, UpdatedReplicas = index + 1 };
            _server.Put(ApiResource.Deployments, deployment);
        }
    }

    private void PutPod(int index, bool ready) =>
        _server.Put(ApiResource.Pods, new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = PodName(index), NamespaceProperty = Namespace,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "api" },
            },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "api",
                        Resources = new V1ResourceRequirements
                        {
                            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(CpuRequest) },
                            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") },
                        },
                    },
                ],
            },
            Status = new V1PodStatus
            {
                Phase = "Running", PodIP = PodHost(index),
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            },
        });

    // Written to a new file and renamed over the old one, so Prometheus never reads half a file.
    private async Task WriteTargetsAsync(IReadOnlyList<int> pods)
    {
        var groups = new JsonArray([.. pods.Select(i => (JsonNode)new JsonObject
        {
            ["targets"] = new JsonArray($"{PodHost(i)}:{_controlPort}"),
            ["labels"] = new JsonObject { ["namespace"] = Namespace, ["pod"] = PodName(i) },
        })]);
        var temporary = _targetsFile + ".tmp";
        await File.WriteAllTextAsync(temporary, groups.ToJsonString());
        File.Move(temporary, _targetsFile, overwrite: true);
    }

    private void Record(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _podController;
        if (_operator is not null)
        {
            await _operator.DisposeAsync();
        }
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
        await _balancer.DisposeAsync();
        List<ApiProcess> pods;
        lock (_gate)
        {
            pods = [.. _pods];
        }
        foreach (var pod in pods)
        {
            await pod.DisposeAsync();
        }
        await _server.DisposeAsync();
        _stop.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
