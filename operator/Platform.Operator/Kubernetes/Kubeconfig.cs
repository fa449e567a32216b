using System.Text.Json.Nodes;
using k8s;
using k8s.Authentication;
using k8s.KubeConfigModels;
using Platform.Operator.Hosting;

namespace Platform.Operator.Kubernetes;

/// <summary>
/// Reads kubeconfig files as kubectl does, and lets the library build the chosen context's configuration from them
/// (token, client certificate, exec credential plugin, CA, insecure-skip-tls-verify, namespace).
/// </summary>
/// <remarks>
/// Three things are done here rather than by the library: several files are merged with each relative path resolved
/// against the file that holds it (the library resolves every path against the first file), files of $KUBECONFIG
/// that do not exist are skipped, as kubectl skips them, and a user's <c>tokenFile</c> is honoured (the library's
/// model has no such field) with the same re-reading as the in-cluster token.
/// </remarks>
internal static class Kubeconfig
{
    /// <summary>The files of $KUBECONFIG (a colon-separated list), else ~/.kube/config.</summary>
    public static IReadOnlyList<string> DefaultFiles(Func<string, string?> environment)
    {
        var listed = (environment("KUBECONFIG") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (listed.Length > 0)
        {
            return listed;
        }

        var home = environment("HOME") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return [Path.Combine(home, ".kube", "config")];
    }

    /// <summary>
    /// Merges <paramref name="files"/> (the first to name a cluster, user or context, or to set current-context, wins)
    /// and configures <paramref name="contextName"/>, else the current context.
    /// </summary>
    public static KubernetesClientConfiguration Load(IReadOnlyList<string> files, string? contextName)
    {
        var existing = files.Where(File.Exists).ToList();
        if (existing.Count == 0)
        {
            throw new KubernetesConfigException(files.Count == 1
                ? $"kubeconfig {files[0]} does not exist."
                : $"None of the kubeconfig files exists: {string.Join(", ", files)}.");
        }

        var source = $"kubeconfig {string.Join(" + ", existing)}";
        try
        {
            K8SConfiguration? merged = null;
            // The token file of each user as the merge keeps it: from the first file that defines the user.
            var tokenFiles = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var file in existing)
            {
                var loaded = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file), useRelativePaths: false)
                    ?? throw new KubernetesConfigException($"kubeconfig {file} is empty.");
                var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
                ResolvePaths(loaded, directory);
                var declared = TokenFiles(file);
                foreach (var defined in (loaded.Users ?? []).Where(u => u.Name is not null))
                {
                    tokenFiles.TryAdd(defined.Name, declared.GetValueOrDefault(defined.Name) is { } tokenFile ? Path.Combine(directory, tokenFile) : null);
                }

                merged = merged is null ? loaded : Merge(merged, loaded);
            }

            var (context, user) = Choose(merged!, contextName, source);
            var tokenFilePath = UseTokenFile(user, tokenFiles);
            var config = KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, context.Name);
            if (tokenFilePath is not null)
            {
                config.AccessToken = null;
                config.TokenProvider = new TokenFileAuth(tokenFilePath);
            }

            config.Namespace = string.IsNullOrEmpty(config.Namespace) ? "default" : config.Namespace;
            // Loads the client certificate and checks the server address now, so their errors are start-up errors too.
            using var probe = new k8s.Kubernetes(config);
            return config;
        }
        catch (Exception e) when (e is not KubernetesConfigException)
        {
            throw new KubernetesConfigException($"{source} cannot be used: {e.Message}", e);
        }
    }

    /// <summary>Relative file references (CA, client certificate and key, an exec command with a path) against <paramref name="directory"/>.</summary>
    private static void ResolvePaths(K8SConfiguration config, string directory)
    {
        foreach (var endpoint in (config.Clusters ?? []).Select(c => c.ClusterEndpoint).Where(e => e is not null))
        {
            endpoint.CertificateAuthority = Resolve(endpoint.CertificateAuthority, directory);
        }

        foreach (var credentials in (config.Users ?? []).Select(u => u.UserCredentials).Where(c => c is not null))
        {
            credentials.ClientCertificate = Resolve(credentials.ClientCertificate, directory);
            credentials.ClientKey = Resolve(credentials.ClientKey, directory);
            // A bare command name is looked up on PATH; one with a directory in it is relative to the kubeconfig.
            if (credentials.ExternalExecution?.Command is { } command && command.Contains('/', StringComparison.Ordinal))
            {
                credentials.ExternalExecution.Command = Resolve(command, directory);
            }
        }
    }

    private static string? Resolve(string? path, string directory) => string.IsNullOrEmpty(path) ? path : Path.Combine(directory, path);

    private static K8SConfiguration Merge(K8SConfiguration first, K8SConfiguration next)
    {
        first.CurrentContext = string.IsNullOrEmpty(first.CurrentContext) ? next.CurrentContext : first.CurrentContext;
        first.Clusters = FirstWins(first.Clusters, next.Clusters, c => c.Name);
        first.Users = FirstWins(first.Users, next.Users, u => u.Name);
        first.Contexts = FirstWins(first.Contexts, next.Contexts, c => c.Name);
        return first;
    }

    private static List<T> FirstWins<T>(IEnumerable<T>? first, IEnumerable<T>? next, Func<T, string> name) =>
        [.. (first ?? []).Concat(next ?? []).DistinctBy(name, StringComparer.Ordinal)];

    /// <summary>users[].user.tokenFile of one file, by user name.</summary>
    private static Dictionary<string, string> TokenFiles(string file)
    {
        var tokenFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = YamlJson.ConvertDocuments(File.ReadAllText(file)).FirstOrDefault();
        foreach (var entry in root?["users"] as JsonArray ?? [])
        {
            if ((string?)entry?["name"] is { } user && (string?)entry["user"]?["tokenFile"] is { Length: > 0 } tokenFile)
            {
                tokenFiles.TryAdd(user, tokenFile);
            }
        }

        return tokenFiles;
    }

    /// <summary>
    /// The chosen context and its user (null when it names none), found as the library finds them (names ignoring
    /// case); a reference to nothing is refused here, naming it, since the library's messages name neither.
    /// </summary>
    private static (Context Context, User? User) Choose(K8SConfiguration config, string? contextName, string source)
    {
        var name = contextName ?? config.CurrentContext;
        if (string.IsNullOrEmpty(name))
        {
            throw new KubernetesConfigException($"{source} has no current-context and no context was named.");
        }

        var context = config.Contexts?.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new KubernetesConfigException($"{source} has no context '{name}'.");
        var clusterName = context.ContextDetails?.Cluster;
        if (config.Clusters?.Any(c => string.Equals(c.Name, clusterName, StringComparison.OrdinalIgnoreCase)) != true)
        {
            throw new KubernetesConfigException($"Context '{name}' names cluster '{clusterName}', which {source} does not define.");
        }

        var userName = context.ContextDetails?.User;
        if (string.IsNullOrEmpty(userName))
        {
            return (context, null);
        }

        var user = config.Users?.FirstOrDefault(u => string.Equals(u.Name, userName, StringComparison.OrdinalIgnoreCase))
            ?? throw new KubernetesConfigException($"Context '{name}' names user '{userName}', which {source} does not define.");
        return (context, user);
    }

    /// <summary>
    /// When the user has a tokenFile and no token: the file's token, so the library accepts the user, and the file's
    /// path, so the caller can have it re-read as it rotates. Null otherwise.
    /// </summary>
    private static string? UseTokenFile(User? user, Dictionary<string, string?> tokenFiles)
    {
        if (user?.UserCredentials is not { } credentials || !string.IsNullOrEmpty(credentials.Token) || tokenFiles.GetValueOrDefault(user.Name) is not { } tokenFile)
        {
            return null;
        }

        credentials.Token = File.ReadAllText(tokenFile).Trim();
        return tokenFile;
    }
}
