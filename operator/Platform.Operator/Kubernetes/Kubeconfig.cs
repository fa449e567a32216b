using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// Reads one kubeconfig file: the chosen context's cluster (server, CA, insecure-skip-tls-verify), user (token,
/// tokenFile, client certificate and key as data or files) and namespace. Several files in $KUBECONFIG are not
/// merged: the first is used. Exec credential plugins and auth providers are refused with a clear message.
/// </summary>
internal static class Kubeconfig
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();

    /// <summary>The first file of $KUBECONFIG (a colon-separated list), else ~/.kube/config.</summary>
    public static string DefaultPath(Func<string, string?> environment)
    {
        var listed = (environment("KUBECONFIG") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (listed.Length > 0)
        {
            return listed[0];
        }

        var home = environment("HOME") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".kube", "config");
    }

    public static KubernetesClientConfig Load(string path, string? contextName)
    {
        if (!File.Exists(path))
        {
            throw new KubernetesConfigException($"kubeconfig {path} does not exist.");
        }

        KubeconfigFile file;
        try
        {
            file = Deserializer.Deserialize<KubeconfigFile?>(File.ReadAllText(path)) ?? new KubeconfigFile();
        }
        catch (YamlException e)
        {
            throw new KubernetesConfigException($"kubeconfig {path} is not valid YAML: {e.Message}", e);
        }

        // Relative file references are relative to the kubeconfig's own directory, as kubectl resolves them.
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string file) => Path.Combine(directory, file);

        contextName ??= file.CurrentContext;
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubernetesConfigException($"kubeconfig {path} has no current-context and no context was named.");
        }

        var context = file.Contexts.FirstOrDefault(c => c.Name == contextName)?.Context
            ?? throw new KubernetesConfigException($"kubeconfig {path} has no context '{contextName}'.");
        var cluster = file.Clusters.FirstOrDefault(c => c.Name == context.Cluster)?.Cluster
            ?? throw new KubernetesConfigException($"Context '{contextName}' names cluster '{context.Cluster}', which kubeconfig {path} does not define.");
        var user = context.User is null
            ? new KubeconfigUser()
            : file.Users.FirstOrDefault(u => u.Name == context.User)?.User
                ?? throw new KubernetesConfigException($"Context '{contextName}' names user '{context.User}', which kubeconfig {path} does not define.");

        if (user.Exec is not null)
        {
            throw new KubernetesConfigException(
                $"User '{context.User}' in kubeconfig {path} gets its credentials from an exec plugin ({user.Exec.GetValueOrDefault("command")}), "
                + "which this client does not support: use a token, tokenFile or client certificate.");
        }

        if (user.AuthProvider is not null)
        {
            throw new KubernetesConfigException(
                $"User '{context.User}' in kubeconfig {path} uses the auth-provider '{user.AuthProvider.GetValueOrDefault("name")}', "
                + "which this client does not support: use a token, tokenFile or client certificate.");
        }

        if (string.IsNullOrEmpty(cluster.Server) || !Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server))
        {
            throw new KubernetesConfigException($"Cluster '{context.Cluster}' in kubeconfig {path} has no valid server address: '{cluster.Server}'.");
        }

        try
        {
            return new KubernetesClientConfig
            {
                Server = server,
                BearerToken = BearerToken(user, Resolve),
                CertificateAuthorities = CertificateAuthorities(cluster, Resolve),
                ClientCertificate = ClientCertificate(user, Resolve, context.User),
                InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
                Namespace = string.IsNullOrEmpty(context.Namespace) ? "default" : context.Namespace,
            };
        }
        catch (Exception e) when (e is FormatException or CryptographicException or IOException)
        {
            throw new KubernetesConfigException($"Context '{contextName}' of kubeconfig {path} cannot be used: {e.Message}", e);
        }
    }

    private static Func<string?>? BearerToken(KubeconfigUser user, Func<string, string> resolve)
    {
        if (!string.IsNullOrEmpty(user.Token))
        {
            var token = user.Token;
            return () => token;
        }

        if (!string.IsNullOrEmpty(user.TokenFile))
        {
            var tokenFile = new TokenFile(resolve(user.TokenFile));
            tokenFile.Read();
            return tokenFile.Read;
        }

        return null;
    }

    private static X509Certificate2Collection CertificateAuthorities(KubeconfigCluster cluster, Func<string, string> resolve)
    {
        if (!string.IsNullOrEmpty(cluster.CertificateAuthorityData))
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(DecodeBase64(cluster.CertificateAuthorityData));
            return certificates.Count > 0
                ? certificates
                : throw new KubernetesConfigException("certificate-authority-data holds no PEM certificate.");
        }

        return string.IsNullOrEmpty(cluster.CertificateAuthority)
            ? []
            : KubernetesClientConfig.ReadCertificates(resolve(cluster.CertificateAuthority));
    }

    private static X509Certificate2? ClientCertificate(KubeconfigUser user, Func<string, string> resolve, string? userName)
    {
        var certificatePem = Pem(user.ClientCertificateData, user.ClientCertificate, resolve);
        var keyPem = Pem(user.ClientKeyData, user.ClientKey, resolve);
        if (certificatePem is null && keyPem is null)
        {
            return null;
        }

        if (certificatePem is null || keyPem is null)
        {
            throw new KubernetesConfigException($"User '{userName}' has a client certificate or key but not both.");
        }

        return X509Certificate2.CreateFromPem(certificatePem, keyPem);
    }

    private static string? Pem(string? base64Data, string? file, Func<string, string> resolve) =>
        !string.IsNullOrEmpty(base64Data) ? DecodeBase64(base64Data)
        : !string.IsNullOrEmpty(file) ? File.ReadAllText(resolve(file))
        : null;

    private static string DecodeBase64(string data) => Encoding.UTF8.GetString(Convert.FromBase64String(data));

    // The kubeconfig's YAML shape (only the fields read above).
    private sealed class KubeconfigFile
    {
        [YamlMember(Alias = "current-context")]
        public string? CurrentContext { get; set; }

        [YamlMember(Alias = "clusters")]
        public List<NamedCluster> Clusters { get; set; } = [];

        [YamlMember(Alias = "contexts")]
        public List<NamedContext> Contexts { get; set; } = [];

        [YamlMember(Alias = "users")]
        public List<NamedUser> Users { get; set; } = [];
    }

    private sealed class NamedCluster
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "cluster")]
        public KubeconfigCluster? Cluster { get; set; }
    }

    private sealed class KubeconfigCluster
    {
        [YamlMember(Alias = "server")]
        public string? Server { get; set; }

        [YamlMember(Alias = "certificate-authority-data")]
        public string? CertificateAuthorityData { get; set; }

        [YamlMember(Alias = "certificate-authority")]
        public string? CertificateAuthority { get; set; }

        [YamlMember(Alias = "insecure-skip-tls-verify")]
        public bool InsecureSkipTlsVerify { get; set; }
    }

    private sealed class NamedContext
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "context")]
        public KubeconfigContext? Context { get; set; }
    }

    private sealed class KubeconfigContext
    {
        [YamlMember(Alias = "cluster")]
        public string? Cluster { get; set; }

        [YamlMember(Alias = "user")]
        public string? User { get; set; }

        [YamlMember(Alias = "namespace")]
        public string? Namespace { get; set; }
    }

    private sealed class NamedUser
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "user")]
        public KubeconfigUser? User { get; set; }
    }

    private sealed class KubeconfigUser
    {
        [YamlMember(Alias = "token")]
        public string? Token { get; set; }

        [YamlMember(Alias = "tokenFile")]
        public string? TokenFile { get; set; }

        [YamlMember(Alias = "client-certificate-data")]
        public string? ClientCertificateData { get; set; }

        [YamlMember(Alias = "client-key-data")]
        public string? ClientKeyData { get; set; }

        [YamlMember(Alias = "client-certificate")]
        public string? ClientCertificate { get; set; }

        [YamlMember(Alias = "client-key")]
        public string? ClientKey { get; set; }

        [YamlMember(Alias = "exec")]
        public Dictionary<string, object?>? Exec { get; set; }

        [YamlMember(Alias = "auth-provider")]
        public Dictionary<string, object?>? AuthProvider { get; set; }
    }
}
