using System.CommandLine;
using System.Text.Json;
using k8s;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Local;

namespace Platform.Operator.Hosting;

/// <summary>The command line: local mode (targets are API base URLs) or cluster mode (watch ThreadPoolAutoscalers).</summary>
public static class OperatorCommand
{
    public const int UsageError = 2;

    public static RootCommand Create(Func<OperatorSettings, CancellationToken, Task<int>> run)
    {
        var local = new Option<bool>("--local") { Description = "Run without a cluster: targets are API base URLs; only min threads change, replica decisions are reported." };
        var targets = new Option<string[]>("--target") { Description = "Base URL of an API process's control listener (Control__Port; local mode; repeat for several): its /metrics and /admin answer while the pool is starved.", AllowMultipleArgumentsPerToken = true };
        var metricsUrls = new Option<string[]>("--metrics-url") { Description = "Each target's metrics URL, in --target order, when it is not TARGET/metrics.", AllowMultipleArgumentsPerToken = true };
        var prometheus = new Option<string?>("--prometheus-url") { Description = "Prometheus base URL (local mode). Without it, the targets' /metrics are scraped directly." };
        var cpuRequest = new Option<string?>("--cpu-request") { Description = "The CPU request each target plays, as in a pod spec (\"500m\" or \"0.5\"; local mode): CPU utilisation is measured against it, as in a cluster. Without it: against the CPU limit each target reports." };
        var spec = new Option<FileInfo?>("--spec") { Description = "A ThreadPoolAutoscaler manifest (YAML) whose spec sets the bounds (local mode). Defaults apply without it." };
        var tokenFile = new Option<FileInfo?>("--admin-token-file") { Description = "File holding the API's admin token (local mode). Or set PLATFORM_ADMIN_TOKEN." };
        var listen = new Option<string>("--listen") { Description = "Where to serve /metrics and /healthz.", DefaultValueFactory = _ => "http://127.0.0.1:8081" };
        var kubeconfig = new Option<FileInfo?>("--kubeconfig") { Description = "Run outside the cluster with this kubeconfig (cluster mode). Without it: the files of $KUBECONFIG, merged, else ~/.kube/config; in a pod, the service account." };
        var watchNamespace = new Option<string?>("--namespace") { Description = "Watch ThreadPoolAutoscalers in this namespace only (cluster mode). Default: all namespaces." };
        var leaseNamespace = new Option<string?>("--lease-namespace") { Description = "Namespace of the leader-election Lease (cluster mode). Default: the operator's own namespace." };
        var leaseName = new Option<string>("--lease-name") { Description = "Name of the leader-election Lease.", DefaultValueFactory = _ => "platform-operator" };

        var root = new RootCommand("Platform operator: tells thread-pool starvation from CPU saturation and answers with min threads or replicas.")
        {
            local, targets, metricsUrls, prometheus, cpuRequest, spec, tokenFile, listen, kubeconfig, watchNamespace, leaseNamespace, leaseName,
        };
        root.SetAction(async (result, cancellationToken) =>
        {
            OperatorSettings settings;
            try
            {
                settings = result.GetValue(local)
                    ? OperatorSettings.ForLocal(
                        LocalSettings(result.GetValue(targets) ?? [], result.GetValue(metricsUrls) ?? [], result.GetValue(prometheus), result.GetValue(cpuRequest), result.GetValue(spec), result.GetValue(tokenFile)),
                        result.GetValue(listen)!)
                    : OperatorSettings.ForCluster(
                        new ClusterSettings(result.GetValue(kubeconfig)?.FullName, result.GetValue(watchNamespace), result.GetValue(leaseNamespace), result.GetValue(leaseName)!),
                        result.GetValue(listen)!);
            }
            catch (UsageException ex)
            {
                await Console.Error.WriteLineAsync($"platform-operator: {ex.Message}");
                return UsageError;
            }
            return await run(settings, cancellationToken);
        });
        return root;
    }

    private static (LocalOptions Options, AutoscalerPolicy Policy) LocalSettings(string[] targets, string[] metricsUrls, string? prometheus, string? cpuRequest, FileInfo? specFile, FileInfo? tokenFile)
    {
        if (targets.Length == 0)
        {
            throw new UsageException("--local needs at least one --target URL.");
        }
        var uris = targets.Select(t => Uri.TryCreate(t.EndsWith('/') ? t : t + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? u
            : throw new UsageException($"--target '{t}' is not an absolute http(s) URL.")).ToList();
        if (metricsUrls.Length > 0 && metricsUrls.Length != targets.Length)
        {
            throw new UsageException($"--metrics-url must be given once per --target ({targets.Length}), in the same order; got {metricsUrls.Length}.");
        }
        var metrics = metricsUrls.Select(m => Uri.TryCreate(m, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? u
            : throw new UsageException($"--metrics-url '{m}' is not an absolute http(s) URL.")).ToList();
        Uri? prometheusUri = null;
        if (!string.IsNullOrWhiteSpace(prometheus))
        {
            prometheusUri = Uri.TryCreate(prometheus.EndsWith('/') ? prometheus : prometheus + "/", UriKind.Absolute, out var p) && p.Scheme is "http" or "https"
                ? p
                : throw new UsageException($"--prometheus-url '{prometheus}' is not an absolute http(s) URL.");
        }
        var cpuRequestCores = cpuRequest is null ? (double?)null : CpuCores(cpuRequest);
        var autoscalerSpec = specFile is null ? LocalDefaults() : ReadSpec(specFile);
        var validation = SpecValidator.Validate(autoscalerSpec);
        if (validation.Policy is null)
        {
            throw new UsageException("the spec is invalid:\n  " + string.Join("\n  ", validation.Errors));
        }
        var token = tokenFile is not null
            ? (tokenFile.Exists ? File.ReadAllText(tokenFile.FullName).Trim() : throw new UsageException($"--admin-token-file '{tokenFile.FullName}' does not exist."))
            : Environment.GetEnvironmentVariable("PLATFORM_ADMIN_TOKEN");
        if (string.IsNullOrEmpty(token) && autoscalerSpec.Mode == AutoscalerMode.Enforce)
        {
            throw new UsageException("Enforce mode needs the API's admin token: --admin-token-file FILE or PLATFORM_ADMIN_TOKEN.");
        }
        return (new LocalOptions(uris, prometheusUri, autoscalerSpec, token ?? "", metrics.Count > 0 ? metrics : null, cpuRequestCores), validation.Policy);
    }

    // A Kubernetes CPU quantity, as a pod spec's resources.requests.cpu holds it: "500m" or "0.5" cores.
    private static double CpuCores(string quantity)
    {
        var text = quantity.Trim();
        var milli = text.EndsWith('m');
        return double.TryParse(milli ? text[..^1] : text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value > 0 && double.IsFinite(value)
            ? (milli ? value / 1000 : value)
            : throw new UsageException($"--cpu-request '{quantity}' is not a positive CPU quantity such as 500m or 0.5.");
    }

    private static ThreadPoolAutoscalerSpec LocalDefaults() => new()
    {
        TargetRef = new TargetReference { Name = "local" },
        Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "local", Key = "token" } },
    };

    private static ThreadPoolAutoscalerSpec ReadSpec(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new UsageException($"--spec '{file.FullName}' does not exist.");
        }
        try
        {
            var documents = YamlJson.ConvertDocuments(File.ReadAllText(file.FullName));
            var node = documents.FirstOrDefault(d => d?["kind"]?.GetValue<string>() == ThreadPoolAutoscaler.KindName)
                ?? throw new UsageException($"--spec '{file.Name}' holds no {ThreadPoolAutoscaler.KindName}.");
            var autoscaler = KubernetesJson.Deserialize<ThreadPoolAutoscaler>(node);
            var localSpec = autoscaler.Spec;
            // Local mode has no Deployment or Secret; fill the references so validation is about the bounds.
            if (string.IsNullOrEmpty(localSpec.TargetRef.Name))
            {
                localSpec.TargetRef.Name = "local";
            }
            if (string.IsNullOrEmpty(localSpec.Admin.TokenSecretRef.Name))
            {
                localSpec.Admin.TokenSecretRef.Name = "local";
            }
            return localSpec;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            throw new UsageException($"--spec '{file.Name}' could not be read: {ex.Message}");
        }
    }
}

/// <summary>A command-line mistake: reported in one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

public sealed record ClusterSettings(string? Kubeconfig, string? WatchNamespace, string? LeaseNamespace, string LeaseName);

public sealed record OperatorSettings(string Listen, LocalOptions? Local, AutoscalerPolicy? LocalPolicy, ClusterSettings? Cluster)
{
    public static OperatorSettings ForLocal((LocalOptions Options, AutoscalerPolicy Policy) local, string listen) => new(listen, local.Options, local.Policy, null);

    public static OperatorSettings ForCluster(ClusterSettings cluster, string listen) => new(listen, null, null, cluster);
}
