using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;
using Platform.Testing;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>
/// A real etcd and kube-apiserver on loopback (the envtest convention: binaries in $KUBEBUILDER_ASSETS), with a
/// throwaway CA and serving certificate, a static admin token (system:masters, RBAC) and the ThreadPoolAutoscaler
/// CRD installed, reached through a kubeconfig file as an operator outside the cluster would. Nothing starts without
/// KUBEBUILDER_ASSETS; the tests then skip.
/// </summary>
public sealed class EnvtestCluster : IAsyncLifetime
{
    public const string SkipMessage =
        "KUBEBUILDER_ASSETS is not set: the real kube-apiserver + etcd tier needs the envtest binaries (setup-envtest use).";

    private const string AdminToken = "envtest-admin-token";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private TempDirectory? _directory;
    private ChildProcess? _etcd;
    private ChildProcess? _apiServer;
    private KubernetesApiClient? _client;
    private k8s.Kubernetes? _kubernetes;

    public bool IsAvailable => _client is not null;

    /// <summary>The operator's calls.</summary>
    public KubernetesApiClient Client => _client ?? throw new InvalidOperationException(SkipMessage);

    /// <summary>The client itself, to arrange what a test needs (objects the operator never creates).</summary>
    public k8s.Kubernetes Kubernetes => _kubernetes ?? throw new InvalidOperationException(SkipMessage);

    public async ValueTask InitializeAsync()
    {
        var assets = Environment.GetEnvironmentVariable("KUBEBUILDER_ASSETS");
        if (string.IsNullOrEmpty(assets))
        {
            return;
        }

        var etcdBinary = Path.Combine(assets, "etcd");
        var apiServerBinary = Path.Combine(assets, "kube-apiserver");
        if (!File.Exists(etcdBinary) || !File.Exists(apiServerBinary))
        {
            // Set but wrong: a misconfigured run must fail, not skip.
            throw new InvalidOperationException($"KUBEBUILDER_ASSETS={assets} holds no etcd and kube-apiserver binaries.");
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        _directory = new TempDirectory();
        try
        {
            var etcdUrl = await StartEtcdAsync(etcdBinary, timeout.Token);
            var config = StartApiServer(apiServerBinary, etcdUrl);
            _kubernetes = new k8s.Kubernetes(config);
            _client = new KubernetesApiClient(config);
            await WaitUntilAsync("kube-apiserver is ready and the default namespace exists", async () =>
            {
                ThrowIfExited(_apiServer!, "kube-apiserver");
                return await _kubernetes.CoreV1.ReadNamespaceAsync("default", cancellationToken: timeout.Token) is not null;
            }, timeout.Token);
            await InstallCrdAsync(_kubernetes, _client, timeout.Token);
        }
        catch
        {
            // Half-started: stop what runs before the failure is reported.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops kube-apiserver, then etcd, and deletes their files; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _client = null;
        _kubernetes?.Dispose();
        _kubernetes = null;
        if (_apiServer is not null)
        {
            await _apiServer.DisposeAsync();
            _apiServer = null;
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
            _etcd = null;
        }

        _directory?.Dispose();
        _directory = null;
    }

    private async Task<string> StartEtcdAsync(string binary, CancellationToken cancellationToken)
    {
        var clientUrl = $"http://127.0.0.1:{FreeTcpPort.Next()}";
        var peerUrl = $"http://127.0.0.1:{FreeTcpPort.Next()}";
        _etcd = ChildProcess.Start(binary,
        [
            "--name=envtest",
            $"--data-dir={Path.Combine(_directory!.Path, "etcd")}",
            $"--listen-client-urls={clientUrl}",
            $"--advertise-client-urls={clientUrl}",
            $"--listen-peer-urls={peerUrl}",
            $"--initial-advertise-peer-urls={peerUrl}",
            $"--initial-cluster=envtest={peerUrl}",
        ]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await WaitUntilAsync("etcd is healthy", async () =>
        {
            ThrowIfExited(_etcd, "etcd");
            using var response = await http.GetAsync(new Uri($"{clientUrl}/health"), cancellationToken);
            return response.IsSuccessStatusCode;
        }, cancellationToken);
        return clientUrl;
    }

    /// <summary>Starts kube-apiserver; it is ready once the caller's first requests succeed.</summary>
    private KubernetesClientConfiguration StartApiServer(string binary, string etcdUrl)
    {
        var directory = _directory!;
        using var authority = TestCertificates.CreateAuthority("envtest-ca");
        using var serving = TestCertificates.CreateServerCertificate(authority);
        var servingCertificate = directory.Write("apiserver.crt", serving.ExportCertificatePem());
        var servingKey = directory.Write("apiserver.key", TestCertificates.PrivateKeyPem(serving));
        using var serviceAccountKey = RSA.Create(2048);
        var signingKey = directory.Write("sa.key", serviceAccountKey.ExportRSAPrivateKeyPem());
        var verificationKey = directory.Write("sa.pub", serviceAccountKey.ExportSubjectPublicKeyInfoPem());
        var tokens = directory.Write("tokens.csv", $"{AdminToken},envtest-admin,envtest-admin,\"system:masters\"\n");
        var port = FreeTcpPort.Next();

        _apiServer = ChildProcess.Start(binary,
        [
            $"--etcd-servers={etcdUrl}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            $"--secure-port={port.ToString(CultureInfo.InvariantCulture)}",
            $"--cert-dir={Path.Combine(directory.Path, "certs")}",
            $"--tls-cert-file={servingCertificate}",
            $"--tls-private-key-file={servingKey}",
            $"--token-auth-file={tokens}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            $"--service-account-key-file={verificationKey}",
            $"--service-account-signing-key-file={signingKey}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--allow-privileged=true",
            // Pods are never created here, and the default service account needs a controller manager.
            "--disable-admission-plugins=ServiceAccount",
        ]);

        var kubeconfig = directory.Write("kubeconfig", $$"""
            apiVersion: v1
            kind: Config
            current-context: envtest
            clusters:
              - name: envtest
                cluster:
                  server: https://127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}}/
                  certificate-authority-data: {{Convert.ToBase64String(Encoding.UTF8.GetBytes(authority.ExportCertificatePem()))}}
            contexts:
              - name: envtest
                context: { cluster: envtest, user: admin, namespace: default }
            users:
              - name: admin
                user: { token: {{AdminToken}} }
            """);
        return KubernetesClientConfig.FromKubeconfig(kubeconfig);
    }

    /// <summary>The chart's CRD file, copied next to the tests by the test project; null when there is none.</summary>
    public static string? ChartCrdFile()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "crds");
        return Directory.Exists(directory) ? Directory.GetFiles(directory, "threadpoolautoscalers*.yaml").SingleOrDefault() : null;
    }

    /// <summary>The chart's CRD, else a minimal one with the same names and a status subresource.</summary>
    private static async Task InstallCrdAsync(k8s.Kubernetes kubernetes, KubernetesApiClient client, CancellationToken cancellationToken)
    {
        var crd = ChartCrdFile() is { } file
            ? KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.ConvertDocuments(File.ReadAllText(file)).Single()!)
            : KubernetesJson.Deserialize<V1CustomResourceDefinition>(MinimalCrd);
        await kubernetes.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: cancellationToken);

        await WaitUntilAsync("the CRD is established and served", async () =>
        {
            var installed = await kubernetes.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: cancellationToken);
            if (installed.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") != true)
            {
                return false;
            }

            // Established can come a moment before the new endpoint serves: until then this is a 404.
            await client.ListAutoscalersAsync("default", cancellationToken);
            return true;
        }, cancellationToken);
    }

    private const string MinimalCrd = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "threadpoolautoscalers.autoscaling.platform.dev" },
          "spec": {
            "group": "autoscaling.platform.dev",
            "scope": "Namespaced",
            "names": { "kind": "ThreadPoolAutoscaler", "listKind": "ThreadPoolAutoscalerList", "plural": "threadpoolautoscalers", "singular": "threadpoolautoscaler" },
            "versions": [{
              "name": "v1alpha1", "served": true, "storage": true,
              "subresources": { "status": {} },
              "schema": { "openAPIV3Schema": { "type": "object", "properties": {
                "spec": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
                "status": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } } }
            }]
          }
        }
        """;

    private static void ThrowIfExited(ChildProcess process, string name)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{name} exited with code {process.ExitCode}:\n{process.RecentOutput}");
        }
    }

    private static async Task WaitUntilAsync(string what, Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        Exception? lastError = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or KubernetesApiException or OperationCanceledException)
            {
                // Not listening or not ready yet, or a probe timed out; the delay below ends the wait once time is up.
                lastError = e;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting until {what}. Last error: {lastError?.Message ?? "none"}", lastError);
            }
        }
    }
}
