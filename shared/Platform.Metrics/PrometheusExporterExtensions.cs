using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.Metrics;

/// <summary>ASP.NET Core registration of the collector and the scraping endpoint.</summary>
public static class PrometheusExporterExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PrometheusCollector"/> configured through
    /// <see cref="PrometheusExporterOptions"/>, started when the host starts and disposed when it stops.
    /// </summary>
    public static IServiceCollection AddPrometheusExporter(this IServiceCollection services, Action<PrometheusExporterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<PrometheusExporterOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(static sp => new PrometheusCollector(sp.GetRequiredService<IOptions<PrometheusExporterOptions>>().Value));
        services.AddHostedService<PrometheusCollectorHostedService>();
        return services;
    }

    /// <summary>Maps GET <paramref name="pattern"/> to the Prometheus text exposition.</summary>
    public static IEndpointConventionBuilder MapPrometheusScrapingEndpoint(this IEndpointRouteBuilder endpoints, string pattern = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);

        // Fail at startup, not on the first scrape, when the exporter was never registered.
        var collector = endpoints.ServiceProvider.GetService<PrometheusCollector>()
            ?? throw new InvalidOperationException(
                $"{nameof(PrometheusCollector)} is not registered: call services.{nameof(AddPrometheusExporter)}() first.");

        RequestDelegate handler = context => WriteMetricsAsync(context, collector);
        return endpoints.MapGet(pattern, handler).WithDisplayName("Prometheus metrics");
    }

    private static async Task WriteMetricsAsync(HttpContext context, PrometheusCollector collector)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        response.ContentType = PrometheusTextWriter.ContentType;
        try
        {
            await collector.WriteAsync(response.Body, context.RequestAborted);
        }
        catch (ObjectDisposedException) when (!response.HasStarted)
        {
            // A scrape that races host shutdown: the collector is already stopped.
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
