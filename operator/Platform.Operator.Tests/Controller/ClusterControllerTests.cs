using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Metrics;
using Platform.Operator.Api;
using Platform.Operator.Controller;
using Platform.Operator.Hosting;
using Platform.Operator.Telemetry;
using Platform.Operator.Tests.Kubernetes;
using Platform.Testing;

namespace Platform.Operator.Tests.Controller;

/// <summary>The watch-driven controller: leader election, both loops per autoscaler, no hot loop on its own writes, autoscalers independent.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ClusterControllerTests
{
    private static ClusterController Controller(ClusterFixture cluster)
    {
        var config = cluster.Server.Config();
        return new ClusterController(cluster.Client, cluster.Reconciler, cluster.MinThreads, cluster.Metrics,
            new ClusterSettings(null, ClusterFixture.Namespace, ClusterFixture.Namespace, "platform-operator"),
            new KubernetesClientConfiguration { Host = config.Host, AccessToken = config.AccessToken, Namespace = ClusterFixture.Namespace },
            TimeProvider.System, NullLoggerFactory.Instance, NullLogger<ClusterController>.Instance);
    }

    private static async Task WaitForLeadershipAsync(ClusterFixture cluster, string name, CancellationToken cancel)
    {
        // A fresh candidate waits up to one lease duration (15 s) before it may lead.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (cluster.Read(name).Status?.ObservedGeneration is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, cancel);
        }
        Assert.True(DateTime.UtcNow < deadline, "the controller never wrote a status");
    }

    [Fact]
    public async Task The_leader_evaluates_each_autoscaler_on_its_interval_and_its_own_status_writes_do_not_wake_it()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        cluster.Autoscaler();
        var controller = Controller(cluster);

        await controller.StartAsync(cancel);
        await WaitForLeadershipAsync(cluster, "api", cancel);
        await Task.Delay(TimeSpan.FromSeconds(12), cancel);
        await controller.StopAsync(cancel);

        var stored = cluster.Read();
        Assert.Equal(stored.Metadata.Generation, stored.Status!.ObservedGeneration);
        var statusWrites = cluster.Server.Requests.Count(r => r.Method == "PUT" && r.Path.EndsWith("/status", StringComparison.Ordinal));
        // Replicas every 5 s over ~12 s, plus the min-threads loop's first adoption: a handful; a hot loop would make hundreds.
        Assert.InRange(statusWrites, 2, 7);
        Assert.NotNull(cluster.Server.Get(ApiResource.Leases, ClusterFixture.Namespace, "platform-operator"));
        Assert.Equal(await cluster.ApiMinWorkerThreadsAsync(), stored.Status.DesiredMinThreads);
    }

    [Fact]
    public async Task A_prometheus_that_never_answers_holds_up_neither_its_own_min_threads_loop_nor_another_autoscaler()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterFixture.StartAsync(withPrometheus: false);
        // Accepts connections and never answers: every query waits for the client's timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var silentUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        cluster.Autoscaler(spec => spec.Prometheus.Url = silentUrl, name: "slow");
        cluster.Autoscaler(name: "api");
        using var collector = new PrometheusCollector(new PrometheusExporterOptions { Meters = { OperatorMetrics.MeterName } });
        collector.Start();
        var controller = Controller(cluster);

        await controller.StartAsync(cancel);
        await WaitForLeadershipAsync(cluster, "api", cancel);
        await Task.Delay(TimeSpan.FromSeconds(8), cancel);
        var metrics = MetricsText.Parse(collector.Scrape());
        await controller.StopAsync(cancel);

        double Ticks(string autoscaler) => metrics.Sum("platform_operator_decisions_total",
            l => l["autoscaler"] == $"{ClusterFixture.Namespace}/{autoscaler}" && l["loop"] == OperatorMetrics.MinThreadsLoop);
        TestContext.Current.TestOutputHelper?.WriteLine($"min-threads decisions in 8 s: slow {Ticks("slow")}, api {Ticks("api")}");
        Assert.True(Ticks("api") >= 5, $"api: {Ticks("api")} min-threads decisions");
        Assert.True(Ticks("slow") >= 5, $"slow: {Ticks("slow")} min-threads decisions while its Prometheus hung");
    }

    [Fact]
    public async Task Started_from_the_command_line_with_a_kubeconfig_it_reconciles_and_releases_its_lease_on_shutdown()
    {
        using var authority = TestCertificates.CreateAuthority("cluster-ca");
        await using var server = await FakeApiServer.StartAsync(TestCertificates.CreateServerCertificate(authority));
        using var directory = new TempDirectory();
        var kubeconfig = directory.Write("config", $$"""
            current-context: dev
            clusters:
              - name: dev
                cluster: { server: "{{server.BaseAddress}}", certificate-authority-data: {{Convert.ToBase64String(Encoding.UTF8.GetBytes(authority.ExportCertificatePem()))}} }
            contexts:
              - name: dev
                context: { cluster: dev, user: dev, namespace: {{ClusterFixture.Namespace}} }
            users:
              - name: dev
                user: { token: {{FakeApiServer.DefaultToken}} }
            """);
        // Its target does not exist: one evaluation is a status and an event, and nothing else to set up.
        var autoscaler = TestSupport.Autoscaler(ClusterFixture.Namespace, "api");
        autoscaler.Spec.Prometheus.Url = "http://127.0.0.1:9/";
        autoscaler.Spec.Admin.TokenSecretRef.Name = "admin";
        server.Put(ApiResource.ThreadPoolAutoscalers, autoscaler);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var running = OperatorCommand.Create(OperatorHost.RunAsync)
            .Parse(["--kubeconfig", kubeconfig, "--namespace", ClusterFixture.Namespace, "--listen", "http://127.0.0.1:0"])
            .InvokeAsync(cancellationToken: stop.Token);
        await TestSupport.WaitUntilAsync(() => Status(server)?.ObservedGeneration is not null, "the autoscaler's status is written", TimeSpan.FromSeconds(40));

        Assert.Equal(ControllerReasons.TargetNotFound, Assert.Single(Status(server)!.Conditions!, c => c.Type == ConditionTypes.Ready).Reason);
        Assert.Contains(server.All(ApiResource.Events), e => (string?)e["reason"] == ControllerReasons.TargetNotFound);
        // The lease is in the kubeconfig context's namespace, held while it runs.
        Assert.NotEqual("", server.Get<V1Lease>(ApiResource.Leases, ClusterFixture.Namespace, "platform-operator")!.Spec.HolderIdentity);

        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.Equal("", server.Get<V1Lease>(ApiResource.Leases, ClusterFixture.Namespace, "platform-operator")!.Spec.HolderIdentity);
    }

    private static ThreadPoolAutoscalerStatus? Status(FakeApiServer server) =>
        server.Get<ThreadPoolAutoscaler>(ApiResource.ThreadPoolAutoscalers, ClusterFixture.Namespace, "api")?.Status;
}
