using Platform.Metrics;
using Platform.Operator.Controller;
using Platform.Operator.Actuators;
using Platform.Operator.Local;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Hosting;

/// <summary>The operator process: a small web host for /metrics and /healthz around the control loop.</summary>
public static class OperatorHost
{
    public static WebApplication Build(OperatorSettings settings, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(args ?? []);
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
        // Pod admin calls and Prometheus queries: short timeouts, a failure is a held decision, not a hang.
        builder.Services.AddHttpClient<MinThreadsActuator>(c => c.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddHttpClient<PrometheusQueryClient>(c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddHttpClient<ScrapeSignalSource>(c => c.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<MinThreadsRollout>();

        if (settings.Local is { } local)
        {
            builder.Services.AddSingleton(local);
            builder.Services.AddSingleton(settings.LocalPolicy!);
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
