using Microsoft.Extensions.Options;
using Platform.Metrics;

namespace Platform.Api.Telemetry;

internal static class TelemetryExtensions
{
    public static WebApplicationBuilder AddPlatformTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<PlatformInstruments>();
        builder.Services.AddSingleton<SchedulingDelayProbe>();

        var metrics = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (metrics.Enabled)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SchedulingDelayProbe>());
            builder.Services.AddPrometheusExporter(exporter =>
            {
                foreach (var meter in MetricNames.ExportedMeters)
                {
                    exporter.Meters.Add(meter);
                }
                exporter.MaxSeriesPerInstrument = metrics.MaxSeriesPerInstrument;
            });
        }
        return builder;
    }

    public static WebApplication MapPlatformMetrics(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Enabled)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }
        // Create the instruments even with the exporter off, so the code paths stay identical.
        _ = app.Services.GetRequiredService<PlatformInstruments>();
        return app;
    }
}
