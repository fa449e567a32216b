namespace Platform.Operator.Kubernetes;

/// <summary>
/// The cluster connection could not be configured: not in a cluster, or a kubeconfig that cannot be used. The
/// message is always one line (the command line prints it as is): the library's messages can embed a whole
/// exception, stack trace included, so only their first line is kept.
/// </summary>
public sealed class KubernetesConfigException(string message, Exception? innerException = null)
    : Exception(FirstLine(message), innerException)
{
    private static string FirstLine(string message) =>
        message.Split('\n', 2)[0].TrimEnd('\r', ' ', ':');
}
