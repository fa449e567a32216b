using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Authentication;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// The client's <see cref="KubernetesClientConfiguration"/>, built the way the operator needs it: in a pod from the
/// mounted service account, outside from kubeconfig files (see <see cref="Kubeconfig"/>), and in both cases with the
/// server verified against exactly the cluster CA. Every problem is a one-line <see cref="KubernetesConfigException"/>.
/// </summary>
public static class KubernetesClientConfig
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>
    /// The configuration of a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, and the CA bundle, namespace
    /// and (rotating) token the kubelet mounts in <paramref name="serviceAccountDirectory"/>.
    /// </summary>
    /// <remarks>
    /// Not the library's InClusterConfig, whose directory is fixed: this one can be tested. The token is the library's
    /// <see cref="TokenFileAuth"/>, which re-reads the file when its copy is a minute old; the kubelet refreshes
    /// projected tokens long before they expire (at 80 % of a lifetime of an hour or more), so that is soon enough.
    /// </remarks>
    public static KubernetesClientConfiguration InCluster(
        string serviceAccountDirectory = ServiceAccountDirectory, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubernetesConfigException(
                "Not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set.");
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber))
        {
            throw new KubernetesConfigException($"KUBERNETES_SERVICE_PORT is not a port number: '{port}'.");
        }

        // An IPv6 literal needs brackets in a URI.
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        var tokenPath = Path.Combine(serviceAccountDirectory, "token");
        var namespacePath = Path.Combine(serviceAccountDirectory, "namespace");
        try
        {
            // Read once now, so a missing token is a start-up error rather than the failure of every call.
            _ = File.ReadAllText(tokenPath);
            return VerifyServerStrictly(new KubernetesClientConfiguration
            {
                Host = $"https://{authority}:{portNumber}/",
                TokenProvider = new TokenFileAuth(tokenPath),
                SslCaCerts = ReadCertificates(Path.Combine(serviceAccountDirectory, "ca.crt")),
                Namespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : "default",
            });
        }
        catch (IOException e)
        {
            throw new KubernetesConfigException($"The service-account files in {serviceAccountDirectory} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The configuration of kubeconfig files: <paramref name="path"/>, else every file listed in $KUBECONFIG (merged
    /// as kubectl merges them), else ~/.kube/config; the given context, else the current one.
    /// </summary>
    public static KubernetesClientConfiguration FromKubeconfig(string? path = null, string? context = null, Func<string, string?>? environment = null) =>
        VerifyServerStrictly(Kubeconfig.Load(path is null ? Kubeconfig.DefaultFiles(environment ?? Environment.GetEnvironmentVariable) : [path], context));

    /// <summary>
    /// Makes the cluster CA the only root the server's certificate may chain to, with the host name still checked.
    /// </summary>
    /// <remarks>
    /// The library's own check of <see cref="KubernetesClientConfiguration.SslCaCerts"/> runs when the chain fails
    /// against the system's store (as it always does for a private cluster CA) and then accepts any certificate the CA
    /// issued, for any host name: a kubelet's serving certificate would pass for the API server. With this chain
    /// policy the chain builds against the cluster CA alone, so the library's check is left with the name mismatch,
    /// which it refuses. Applied to a configuration twice, it sets the same policy twice.
    /// </remarks>
    internal static KubernetesClientConfiguration VerifyServerStrictly(KubernetesClientConfiguration config)
    {
        if (config.SkipTlsVerify || config.SslCaCerts is not { Count: > 0 } authorities)
        {
            return config;
        }

        var setup = config.FirstMessageHandlerSetup;
        config.FirstMessageHandlerSetup = handler =>
        {
            setup?.Invoke(handler);
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(authorities);
            handler.SslOptions.CertificateChainPolicy = policy;
        };
        return config;
    }

    internal static X509Certificate2Collection ReadCertificates(string pemFile)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(pemFile);
        }
        catch (CryptographicException e)
        {
            throw new KubernetesConfigException($"{pemFile} holds a malformed PEM certificate: {e.Message}", e);
        }

        return certificates.Count > 0 ? certificates : throw new KubernetesConfigException($"{pemFile} holds no PEM certificate.");
    }
}
