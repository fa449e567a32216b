using Platform.Operator.Kubernetes;

namespace Platform.Operator.Actuators;

/// <summary>
/// Sets a Deployment's replica count through its scale subresource, as the HPA does: a merge patch of
/// spec.replicas on deployments/{name}/scale, which needs only that subresource's patch permission.
/// </summary>
public sealed class ReplicaActuator(IKubernetesApi api)
{
    public Task ScaleAsync(string ns, string deployment, int replicas, CancellationToken cancellationToken) =>
        api.PatchDeploymentScaleAsync(ns, deployment, replicas, cancellationToken);
}
