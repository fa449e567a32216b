using Platform.Operator.Actuators;
using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Controller;

internal static class ClusterOperatorServices
{
    public const string Component = "platform-operator";

    /// <summary>In a pod: the service account. Outside: the kubeconfig (--kubeconfig, $KUBECONFIG or ~/.kube/config).</summary>
    public static WebApplicationBuilder AddClusterOperator(this WebApplicationBuilder builder, ClusterSettings settings)
    {
        var config = settings.Kubeconfig is null && Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }
            ? KubernetesClientConfig.InCluster()
            : KubernetesClientConfig.FromKubeconfig(settings.Kubeconfig);
        // Made here, not on first use, so a configuration the client refuses fails the start with its message.
        var api = new KubernetesApiClient(config);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton<IKubernetesApi>(_ => api);
        builder.Services.AddSingleton(sp => new EventRecorder(sp.GetRequiredService<IKubernetesApi>(), Component,
            Environment.GetEnvironmentVariable("POD_NAME"), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.Operator.Events")));
        builder.Services.AddSingleton<ReplicaActuator>();
        builder.Services.AddSingleton<StatusWriter>();
        builder.Services.AddSingleton<AutoscalerReconciler>();
        builder.Services.AddSingleton<MinThreadsReconciler>();
        builder.Services.AddHostedService<ClusterController>();
        return builder;
    }
}
