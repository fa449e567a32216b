using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Metrics.Tests;

public sealed class AspNetCoreIntegrationTests
{
    [Fact]
    public async Task Metrics_endpoint_on_Kestrel_serves_the_exposition_with_the_prometheus_content_type()
    {
        var ct = TestContext.Current.CancellationToken;
        using var meter = new TestMeter();
        await using var app = BuildApp(meter.Name);
        await app.StartAsync(ct);

        meter.Meter.CreateCounter<long>("integration.requests", "{request}", "Requests seen by the test.").Add(3);

        using var client = new HttpClient { BaseAddress = new Uri(ListeningAddress(app)) };
        using var response = await client.GetAsync("/metrics", ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var contentType = response.Content.Headers.ContentType;
        Assert.NotNull(contentType);
        Assert.Equal("text/plain", contentType.MediaType);
        Assert.Equal("utf-8", contentType.CharSet);
        Assert.Contains(contentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        Assert.Contains("# TYPE integration_requests_total counter\n", body, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Single(Exposition.Parse(body)["integration_requests_total"].Samples).Value);

        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Hosted_service_starts_the_collector_at_app_start_and_disposes_it_at_stop()
    {
        var ct = TestContext.Current.CancellationToken;
        using var meter = new TestMeter();
        var counter = meter.Meter.CreateCounter<int>("lifecycle.events");
        await using var app = BuildApp(meter.Name);
        var collector = app.Services.GetRequiredService<PrometheusCollector>();

        counter.Add(1);
        Assert.DoesNotContain("lifecycle_events", collector.Scrape(), StringComparison.Ordinal);

        await app.StartAsync(ct);
        counter.Add(1);
        Assert.Contains("lifecycle_events_total 1\n", collector.Scrape(), StringComparison.Ordinal);

        await app.StopAsync(ct);
        Assert.Throws<ObjectDisposedException>(() => collector.Scrape());
    }

    [Fact]
    public void Mapping_the_endpoint_without_registering_the_exporter_fails_at_startup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPrometheusScrapingEndpoint());
        Assert.Contains(nameof(PrometheusExporterExtensions.AddPrometheusExporter), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPrometheusExporter_registers_one_singleton_collector_with_the_configured_options()
    {
        var services = new ServiceCollection();
        services.AddPrometheusExporter(o => o.MaxSeriesPerInstrument = 7);
        services.AddPrometheusExporter();

        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<PrometheusCollector>(), provider.GetRequiredService<PrometheusCollector>());
        Assert.Single(services, d => d.ServiceType == typeof(PrometheusCollector));
        Assert.Single(services, d => d.ImplementationType?.Name == "PrometheusCollectorHostedService");
        Assert.Equal(7, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<PrometheusExporterOptions>>().Value.MaxSeriesPerInstrument);
    }

    private static WebApplication BuildApp(string meterName)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPrometheusExporter(o => o.Meters.Add(meterName));
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    private static string ListeningAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
