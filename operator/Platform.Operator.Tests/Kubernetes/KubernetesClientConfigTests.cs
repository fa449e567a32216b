using System.Security.Cryptography.X509Certificates;
using System.Text;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>In-cluster and kubeconfig configuration, exercised over TLS against the fake API server.</summary>
public sealed class KubernetesClientConfigTests : IAsyncLifetime, IDisposable
{
    private readonly X509Certificate2 _authority = TestCertificates.CreateAuthority("cluster-ca");
    private readonly TempDirectory _directory = new();
    private FakeApiServer _server = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _server = await FakeApiServer.StartAsync(TestCertificates.CreateServerCertificate(_authority), clientCertificateAuthority: _authority);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _directory.Dispose();
        _authority.Dispose();
    }

    [Fact]
    public async Task In_cluster_it_uses_the_service_host_and_port_and_the_mounted_CA_token_and_namespace()
    {
        WriteServiceAccount("sa-token-1");
        _server.AcceptToken("sa-token-1");

        var config = KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("127.0.0.1", _server.BaseAddress.Port));

        Assert.Equal(new Uri($"https://127.0.0.1:{_server.BaseAddress.Port}/"), config.Server);
        Assert.Equal("shop", config.Namespace);
        Assert.Equal(_authority.Thumbprint, Assert.Single(config.CertificateAuthorities).Thumbprint);
        using var client = new KubernetesApiClient(config);
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, config.Namespace, "web", Cancel));
        Assert.Equal("sa-token-1", _server.Requests[^1].BearerToken);
    }

    [Fact]
    public async Task In_cluster_a_rotated_token_is_picked_up_when_the_file_changes_or_after_a_minute()
    {
        var clock = new ManualTimeProvider();
        var tokenPath = WriteServiceAccount("sa-token-1");
        foreach (var token in new[] { "sa-token-1", "sa-token-2", "sa-token-3" })
        {
            _server.AcceptToken(token);
        }

        using var client = new KubernetesApiClient(KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("127.0.0.1", _server.BaseAddress.Port), clock));
        async Task<string?> TokenSentAsync()
        {
            await client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel);
            return _server.Requests[^1].BearerToken;
        }

        Assert.Equal("sa-token-1", await TokenSentAsync());

        // Swapped in without a visible change of modification time (as through the kubelet's symlink): read within a minute.
        var modified = File.GetLastWriteTimeUtc(tokenPath);
        File.WriteAllText(tokenPath, "sa-token-2");
        File.SetLastWriteTimeUtc(tokenPath, modified);
        Assert.Equal("sa-token-1", await TokenSentAsync());
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("sa-token-2", await TokenSentAsync());

        // Rewritten with a new modification time: read at once.
        File.WriteAllText(tokenPath, "sa-token-3\n");
        File.SetLastWriteTimeUtc(tokenPath, modified.AddSeconds(5));
        Assert.Equal("sa-token-3", await TokenSentAsync());
    }

    [Fact]
    public void In_cluster_an_IPv6_service_host_is_bracketed()
    {
        WriteServiceAccount("sa-token-1");

        var config = KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("fd00:10:96::1", 443));

        Assert.Equal(("[fd00:10:96::1]", 443), (config.Server.Host, config.Server.Port));
    }

    [Fact]
    public void Outside_a_pod_in_cluster_configuration_fails_clearly()
    {
        var error = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.InCluster(_directory.Path, _ => null));
        Assert.Contains("KUBERNETES_SERVICE_HOST", error.Message, StringComparison.Ordinal);

        var missingFiles = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("10.96.0.1", 443)));
        Assert.Contains(_directory.Path, missingFiles.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubeconfig_current_context_with_a_token_and_CA_data()
    {
        _server.AcceptToken("kube-token");
        var path = _directory.Write("config", $$"""
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
              - name: dev-cluster
                cluster:
                  server: {{_server.BaseAddress}}
                  certificate-authority-data: {{Base64(_authority.ExportCertificatePem())}}
            contexts:
              - name: dev
                context: { cluster: dev-cluster, user: dev-user, namespace: shop }
              - name: other
                context: { cluster: dev-cluster, user: nobody }
            users:
              - name: dev-user
                user:
                  token: kube-token
            """);

        var config = KubernetesClientConfig.FromKubeconfig(path);

        Assert.Equal(("shop", false), (config.Namespace, config.InsecureSkipTlsVerify));
        Assert.Equal("kube-token", config.BearerToken?.Invoke());
        using var client = new KubernetesApiClient(config);
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));
        Assert.Equal("kube-token", _server.Requests[^1].BearerToken);
    }

    [Fact]
    public async Task Kubeconfig_named_context_with_a_token_file_and_a_CA_file_relative_to_the_kubeconfig()
    {
        _server.AcceptToken("file-token");
        _directory.Write("ca.crt", _authority.ExportCertificatePem());
        _directory.Write("token", "file-token\n");
        var path = _directory.Write("config", $$"""
            current-context: elsewhere
            clusters:
              - name: local
                cluster: { server: "{{_server.BaseAddress}}", certificate-authority: ca.crt }
            contexts:
              - name: local
                context: { cluster: local, user: robot }
            users:
              - name: robot
                user: { tokenFile: token }
            """);

        var config = KubernetesClientConfig.FromKubeconfig(path, "local");

        Assert.Equal("default", config.Namespace);
        using var client = new KubernetesApiClient(config);
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));
        Assert.Equal("file-token", _server.Requests[^1].BearerToken);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Kubeconfig_client_certificate_and_key_as_data_or_files_authenticate_over_TLS(bool asData)
    {
        using var certificate = TestCertificates.CreateClientCertificate(_authority, "admin", "system:masters");
        var certificatePem = certificate.ExportCertificatePem();
        var keyPem = TestCertificates.PrivateKeyPem(certificate);
        _directory.Write("admin.crt", certificatePem);
        _directory.Write("admin.key", keyPem);
        var user = asData
            ? $"{{ client-certificate-data: {Base64(certificatePem)}, client-key-data: {Base64(keyPem)} }}"
            : "{ client-certificate: admin.crt, client-key: admin.key }";
        var path = _directory.Write("config", $$"""
            current-context: admin
            clusters:
              - name: local
                cluster: { server: "{{_server.BaseAddress}}", certificate-authority-data: {{Base64(_authority.ExportCertificatePem())}} }
            contexts:
              - name: admin
                context: { cluster: local, user: admin }
            users:
              - name: admin
                user: {{user}}
            """);

        var config = KubernetesClientConfig.FromKubeconfig(path);

        Assert.Equal(certificate.Thumbprint, config.ClientCertificate?.Thumbprint);
        Assert.True(config.ClientCertificate!.HasPrivateKey);
        Assert.Null(config.BearerToken);
        using var client = new KubernetesApiClient(config);
        // No token: only the certificate can have got this past the fake's 401.
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));
        Assert.Null(_server.Requests[^1].BearerToken);
    }

    [Fact]
    public async Task Kubeconfig_insecure_skip_tls_verify_accepts_a_server_certificate_it_cannot_verify()
    {
        var path = _directory.Write("config", $$"""
            current-context: kind
            clusters:
              - name: kind
                cluster: { server: "{{_server.BaseAddress}}", insecure-skip-tls-verify: true }
            contexts:
              - name: kind
                context: { cluster: kind, user: kind }
            users:
              - name: kind
                user: { token: {{FakeApiServer.DefaultToken}} }
            """);

        var config = KubernetesClientConfig.FromKubeconfig(path);

        Assert.True(config.InsecureSkipTlsVerify);
        Assert.Empty(config.CertificateAuthorities);
        using var client = new KubernetesApiClient(config);
        Assert.Null(await client.GetAsync<Deployment>(KubeResource.Deployments, "shop", "web", Cancel));
    }

    [Fact]
    public void Kubeconfig_without_the_context_cluster_or_user_it_names_fails_clearly()
    {
        var path = _directory.Write("config", """
            current-context: dev
            clusters:
              - name: dev
                cluster: { server: "https://127.0.0.1:6443" }
            contexts:
              - name: dev
                context: { cluster: dev, user: dev }
              - name: no-cluster
                context: { cluster: gone, user: dev }
              - name: no-user
                context: { cluster: dev, user: gone }
            users:
              - name: dev
                user: { token: t }
            """);

        Assert.Contains("no context 'staging'", Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path, "staging")).Message, StringComparison.Ordinal);
        Assert.Contains("cluster 'gone'", Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path, "no-cluster")).Message, StringComparison.Ordinal);
        Assert.Contains("user 'gone'", Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path, "no-user")).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(Path.Combine(_directory.Path, "absent"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubeconfig_exec_plugins_and_auth_providers_are_refused_as_unsupported()
    {
        var path = _directory.Write("config", """
            current-context: eks
            clusters:
              - name: eks
                cluster: { server: "https://example.eks.amazonaws.com" }
            contexts:
              - name: eks
                context: { cluster: eks, user: eks }
              - name: gke
                context: { cluster: eks, user: gke }
            users:
              - name: eks
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1beta1
                    command: aws
                    args: [eks, get-token, --cluster-name, example]
              - name: gke
                user:
                  auth-provider:
                    name: gcp
            """);

        var exec = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path));
        Assert.Contains("exec plugin (aws)", exec.Message, StringComparison.Ordinal);
        Assert.Contains("does not support", exec.Message, StringComparison.Ordinal);
        var authProvider = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path, "gke"));
        Assert.Contains("auth-provider 'gcp'", authProvider.Message, StringComparison.Ordinal);
        Assert.Contains("does not support", authProvider.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_kubeconfig_is_the_first_file_of_KUBECONFIG_else_the_one_in_home()
    {
        Assert.Equal("/etc/a.yaml", Kubeconfig.DefaultPath(name => name == "KUBECONFIG" ? "/etc/a.yaml:/etc/b.yaml" : null));
        Assert.Equal("/home/op/.kube/config", Kubeconfig.DefaultPath(name => name == "HOME" ? "/home/op" : null));
        Assert.Equal("/home/op/.kube/config", Kubeconfig.DefaultPath(name => name switch { "HOME" => "/home/op", "KUBECONFIG" => "", _ => null }));
    }

    private string WriteServiceAccount(string token)
    {
        _directory.Write("ca.crt", _authority.ExportCertificatePem());
        _directory.Write("namespace", "shop");
        return _directory.Write("token", token);
    }

    private static Func<string, string?> ServiceEnvironment(string host, int port) => name => name switch
    {
        "KUBERNETES_SERVICE_HOST" => host,
        "KUBERNETES_SERVICE_PORT" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
