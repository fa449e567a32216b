namespace Platform.Operator.Kubernetes;

/// <summary>The cluster connection could not be configured: not in a cluster, or a kubeconfig this client cannot use.</summary>
public sealed class KubernetesConfigException(string message, Exception? innerException = null)
    : Exception(message, innerException);
