using Platform.Metrics;
using Platform.Operator.Controller;
using Platform.Operator.Actuators;
using Platform.Operator.Kubernetes;
using Platform.Operator.Local;
using Platform.Operator.Loops;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Hosting;

/// <summary>The operator process: a small web host for /metrics and /healthz around the control loop.</summary>
public static class OperatorHost
{
    /// <summary>Timeout of a scrape or an admin call to a pod's control listener.</summary>
    public static readonly TimeSpan PodCallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Builds the host and runs it until <paramref name="cancellationToken"/> is cancelled. A cluster connection that
    /// cannot be configured (no pod, a kubeconfig that cannot be used) is one line on stderr and exit code 2.
    /// </summary>
    public static async Task<int> RunAsync(OperatorSettings settings, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(settings);
        }
        catch (KubernetesConfigException ex)
        {
            await Console.Error.WriteLineAsync($"platform-operator: {ex.Message}");
            return OperatorCommand.UsageError;
        }
        await using (app)
        {
            await app.RunAsync(cancellationToken);
        }
        return 0;
    }

    public static WebApplication Build(OperatorSettings settings, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(args ?? []);
        OperatorLogging.AddDefaults(builder.Configuration);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.WebHost.UseUrls(settings.Listen);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OperatorMetrics>();
        builder.Services.AddPrometheusExporter(exporter =>
        {
            exporter.Meters.Add(OperatorMetrics.MeterName);
            exporter.Meters.Add("System.Runtime");
        });
        builder.Services.AddHealthChecks();
        // Pod calls go to the pods' control listeners, which answer in milliseconds even when the pod is
        // starved: short timeouts, and a failure is a held decision or a retried push, never a hang.
        builder.Services.AddHttpClient<MinThreadsActuator>(c => c.Timeout = PodCallTimeout);
        builder.Services.AddHttpClient<PrometheusQueryClient>(c => c.Timeout = TimeSpan.FromSeconds(10));
        // One instance: it keeps each pod's recent scrapes, from which it computes rates.
        builder.Services.AddSingleton(sp => new ScrapeSignalSource(
            new HttpClient(new SocketsHttpHandler { ConnectTimeout = PodCallTimeout }) { Timeout = PodCallTimeout },
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<MinThreadsRollout>();
        builder.Services.AddSingleton<MinThreadsLoop>();

        if (settings.Local is { } local)
        {
            builder.Services.AddSingleton(local);
            builder.Services.AddSingleton(settings.LocalPolicy!);
            // The replica loop reads Prometheus when it has one, else the same control-port scrapes over its window.
            builder.Services.AddSingleton<ISignalSource>(sp => local.Prometheus is { } prometheus
                ? new PrometheusSignalSource(sp.GetRequiredService<PrometheusQueryClient>(), prometheus, new Dictionary<string, string>())
                : sp.GetRequiredService<ScrapeSignalSource>());
            builder.Services.AddSingleton<LocalAutoscaler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalAutoscaler>());
        }
        else
        {
            builder.AddClusterOperator(settings.Cluster!);
        }

        var app = builder.Build();
        app.MapHealthChecks("/healthz/live");
        app.MapHealthChecks("/healthz/ready");
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (settings.Local is not null)
        {
            app.MapGet("/status", (LocalAutoscaler autoscaler) => autoscaler.Status is { } status ? Results.Ok(status) : Results.NoContent());
        }
        return app;
    }
}
