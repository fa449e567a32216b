using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;
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

        Assert.Equal($"https://127.0.0.1:{_server.BaseAddress.Port}/", config.Host);
        Assert.Equal("shop", config.Namespace);
        Assert.Equal(_authority.Thumbprint, Assert.Single(config.SslCaCerts).Thumbprint);
        Assert.Equal("sa-token-1", await TokenSentAsync(config));
    }

    [Fact]
    public async Task In_cluster_a_rotated_token_is_picked_up_once_the_clients_copy_is_a_minute_old()
    {
        var tokenPath = WriteServiceAccount("sa-token-1");
        _server.AcceptToken("sa-token-1");
        _server.AcceptToken("sa-token-2");
        var config = KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("127.0.0.1", _server.BaseAddress.Port));
        using var client = new KubernetesApiClient(config);
        async Task<string?> TokenSentAsync()
        {
            await client.GetDeploymentAsync("shop", "web", Cancel);
            return _server.Requests[^1].BearerToken;
        }

        Assert.Equal("sa-token-1", await TokenSentAsync());

        // The kubelet swaps the file; within the minute the client still sends the copy it read.
        File.WriteAllText(tokenPath, "sa-token-2\n");
        Assert.Equal("sa-token-1", await TokenSentAsync());

        // A minute on (the copy's expiry moved instead of waiting for it), the client reads the file again.
        typeof(TokenFileAuth).GetProperty("TokenExpiresAt", BindingFlags.Instance | BindingFlags.NonPublic)!
            .SetValue(Assert.IsType<TokenFileAuth>(config.TokenProvider), DateTime.UtcNow.AddSeconds(-1));
        Assert.Equal("sa-token-2", await TokenSentAsync());
    }

    [Fact]
    public void In_cluster_an_IPv6_service_host_is_bracketed()
    {
        WriteServiceAccount("sa-token-1");

        var config = KubernetesClientConfig.InCluster(_directory.Path, ServiceEnvironment("fd00:10:96::1", 443));

        Assert.Equal(("[fd00:10:96::1]", 443), (new Uri(config.Host).Host, new Uri(config.Host).Port));
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

        Assert.Equal(("shop", false), (config.Namespace, config.SkipTlsVerify));
        Assert.Equal("kube-token", await TokenSentAsync(config));
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
        // Re-read as it rotates, like the in-cluster token.
        Assert.IsType<TokenFileAuth>(config.TokenProvider);
        Assert.Equal("file-token", await TokenSentAsync(config));
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

        Assert.Null(config.AccessToken);
        Assert.Null(config.TokenProvider);
        // No token: only the certificate can have got this past the fake's 401.
        Assert.Null(await TokenSentAsync(config));
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

        Assert.True(config.SkipTlsVerify);
        Assert.Null(config.SslCaCerts);
        Assert.Equal(FakeApiServer.DefaultToken, await TokenSentAsync(config));
    }

    [Fact]
    public async Task Kubeconfig_exec_plugin_credentials_are_sent_as_the_bearer_token()
    {
        _server.AcceptToken("exec-token-1");
        // As aws, gcloud or kubelogin do: an ExecCredential on stdout. The kubeconfig passes the token as an argument.
        _directory.WriteExecutable("credential-plugin", """
            #!/bin/sh
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$1"
            """);
        var path = _directory.Write("config", $$"""
            current-context: eks
            clusters:
              - name: eks
                cluster: { server: "{{_server.BaseAddress}}", certificate-authority-data: {{Base64(_authority.ExportCertificatePem())}} }
            contexts:
              - name: eks
                context: { cluster: eks, user: eks }
            users:
              - name: eks
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: ./credential-plugin
                    args: [exec-token-1]
                    interactiveMode: Never
            """);

        var config = KubernetesClientConfig.FromKubeconfig(path);

        Assert.Equal("exec-token-1", await TokenSentAsync(config));
    }

    [Fact]
    public async Task Several_KUBECONFIG_files_merge_with_the_first_file_winning_each_name_and_paths_relative_to_their_own_file()
    {
        _server.AcceptToken("token-from-first");
        _server.AcceptToken("token-from-second");
        using var second = new TempDirectory();
        second.Write("ca.crt", _authority.ExportCertificatePem());
        var first = _directory.Write("config", """
            current-context: dev
            contexts:
              - name: dev
                context: { cluster: shared, user: dev, namespace: first }
            users:
              - name: dev
                user: { token: token-from-first }
            """);
        var secondFile = second.Write("config", $$"""
            current-context: other
            clusters:
              - name: shared
                cluster: { server: "{{_server.BaseAddress}}", certificate-authority: ca.crt }
            contexts:
              - name: dev
                context: { cluster: shared, user: dev, namespace: second }
              - name: other
                context: { cluster: shared, user: other }
            users:
              - name: dev
                user: { token: token-from-second }
              - name: other
                user: { token: token-from-second }
            """);
        // A listed file that does not exist is skipped, as kubectl skips it.
        var kubeconfig = string.Join(Path.PathSeparator, first, Path.Combine(_directory.Path, "absent"), secondFile);

        var config = KubernetesClientConfig.FromKubeconfig(environment: name => name == "KUBECONFIG" ? kubeconfig : null);

        Assert.Equal(("dev", "first"), (config.CurrentContext, config.Namespace));
        // The cluster and its CA (relative to the second file) come from the second file; the user from the first.
        Assert.Equal("token-from-first", await TokenSentAsync(config));
        Assert.Equal("token-from-second", await TokenSentAsync(KubernetesClientConfig.FromKubeconfig(
            context: "other", environment: name => name == "KUBECONFIG" ? kubeconfig : null)));
    }

    [Fact]
    public void The_default_kubeconfig_is_every_file_of_KUBECONFIG_else_the_one_in_home()
    {
        Assert.Equal(["/etc/a.yaml", "/etc/b.yaml"], Kubeconfig.DefaultFiles(name => name == "KUBECONFIG" ? "/etc/a.yaml::/etc/b.yaml" : null));
        Assert.Equal(["/home/op/.kube/config"], Kubeconfig.DefaultFiles(name => name == "HOME" ? "/home/op" : null));
        Assert.Equal(["/home/op/.kube/config"], Kubeconfig.DefaultFiles(name => name switch { "HOME" => "/home/op", "KUBECONFIG" => "", _ => null }));
    }

    [Theory]
    [InlineData("staging", "has no context 'staging'")]
    [InlineData("no-cluster", "Context 'no-cluster' names cluster 'gone', which kubeconfig")]
    [InlineData("no-user", "Context 'no-user' names user 'gone', which kubeconfig")]
    [InlineData("no-credentials", "User: nothing does not have appropriate auth credentials")]
    [InlineData("failing-plugin", "external exec failed")]
    [InlineData("absent-plugin", "external exec failed")]
    public void A_kubeconfig_that_cannot_be_used_fails_in_one_line_that_names_the_problem(string context, string expected)
    {
        _directory.WriteExecutable("failing-plugin", "#!/bin/sh\necho 'token expired, log in again' >&2\nexit 1\n");
        var path = _directory.Write("config", """
            current-context: dev
            clusters:
              - name: dev
                cluster: { server: "https://127.0.0.1:6443" }
            contexts:
              - { name: dev, context: { cluster: dev, user: dev } }
              - { name: no-cluster, context: { cluster: gone, user: dev } }
              - { name: no-user, context: { cluster: dev, user: gone } }
              - { name: no-credentials, context: { cluster: dev, user: nothing } }
              - { name: failing-plugin, context: { cluster: dev, user: failing } }
              - { name: absent-plugin, context: { cluster: dev, user: absent } }
            users:
              - { name: dev, user: { token: t } }
              - { name: nothing, user: { auth-provider: { name: gcp } } }
              - { name: failing, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: ./failing-plugin } } }
              - { name: absent, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: no-such-credential-plugin } } }
            """);

        var error = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path, context));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(null, "does not exist")]
    [InlineData("", "is empty")]
    [InlineData("clusters: [unclosed\n", "cannot be used")]
    [InlineData("users:\n  - name: a\n    user: { token: t }\n", "has no current-context")]
    public void A_kubeconfig_file_that_is_missing_empty_or_not_YAML_fails_in_one_line(string? content, string expected)
    {
        var path = content is null ? Path.Combine(_directory.Path, "absent") : _directory.Write("config", content);

        var error = Assert.Throws<KubernetesConfigException>(() => KubernetesClientConfig.FromKubeconfig(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    private async Task<string?> TokenSentAsync(KubernetesClientConfiguration config)
    {
        using var client = new KubernetesApiClient(config);
        Assert.Null(await client.GetDeploymentAsync("shop", "web", Cancel));
        return _server.Requests[^1].BearerToken;
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
