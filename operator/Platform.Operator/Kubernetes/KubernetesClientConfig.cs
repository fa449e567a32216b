using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Operator.Kubernetes;

/// <summary>Where the API server is and how to authenticate to it and verify it.</summary>
public sealed class KubernetesClientConfig
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>The API server's base address, e.g. https://10.96.0.1:443/.</summary>
    public required Uri Server { get; init; }

    /// <summary>Called for every request, so a rotated token is picked up; null or empty sends no Authorization header.</summary>
    public Func<string?>? BearerToken { get; init; }

    /// <summary>The CAs the server's certificate must chain to; empty means the system's trust store.</summary>
    public X509Certificate2Collection CertificateAuthorities { get; init; } = [];

    /// <summary>Presented for TLS client authentication; must carry its private key.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Accept any server certificate (kubeconfig insecure-skip-tls-verify): for throwaway local clusters only.</summary>
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The namespace to work in when none is given: the pod's own, or the kubeconfig context's.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>
    /// The configuration of a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, and the CA bundle, namespace
    /// and (rotating) token the kubelet mounts in <paramref name="serviceAccountDirectory"/>.
    /// </summary>
    public static KubernetesClientConfig InCluster(
        string serviceAccountDirectory = ServiceAccountDirectory,
        Func<string, string?>? environment = null,
        TimeProvider? timeProvider = null)
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
        var token = new TokenFile(Path.Combine(serviceAccountDirectory, "token"), timeProvider);
        var namespacePath = Path.Combine(serviceAccountDirectory, "namespace");
        try
        {
            token.Read();
            return new KubernetesClientConfig
            {
                Server = new Uri($"https://{authority}:{portNumber}/"),
                BearerToken = token.Read,
                CertificateAuthorities = ReadCertificates(Path.Combine(serviceAccountDirectory, "ca.crt")),
                Namespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : "default",
            };
        }
        catch (IOException e)
        {
            throw new KubernetesConfigException($"The service-account files in {serviceAccountDirectory} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The configuration of a kubeconfig file: <paramref name="path"/>, else the first file listed in $KUBECONFIG,
    /// else ~/.kube/config; the given context, else the current one.
    /// </summary>
    public static KubernetesClientConfig FromKubeconfig(string? path = null, string? context = null) =>
        Kubeconfig.Load(path ?? Kubeconfig.DefaultPath(Environment.GetEnvironmentVariable), context);

    /// <summary>
    /// A handler that verifies the server against exactly <see cref="CertificateAuthorities"/> (when given) and
    /// presents <see cref="ClientCertificate"/>. The caller owns it (an HttpClient disposes it).
    /// </summary>
    public HttpMessageHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler();
        if (ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { ClientCertificate };
        }

        if (InsecureSkipTlsVerify)
        {
#pragma warning disable CA5359 // The kubeconfig asked for it explicitly (insecure-skip-tls-verify).
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (CertificateAuthorities.Count > 0)
        {
            // The cluster CA is the only root: not added to, nor mixed with, the system's trust store.
            // Host name checks stay on (SslStream does them before the chain policy is consulted).
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(CertificateAuthorities);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        return handler;
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
