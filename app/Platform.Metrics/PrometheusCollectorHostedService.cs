using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Metrics;

/// <summary>
/// Ties the collector's lifetime to the host: listening from app start, stopped at shutdown; and the
/// dedicated-thread scrape endpoint, when one is configured.
/// </summary>
internal sealed class PrometheusCollectorHostedService(PrometheusCollector collector, IOptions<PrometheusExporterOptions> options) : IHostedService
{
    private DedicatedThreadScrapeServer? _dedicated;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        collector.Start();
        if (options.Value.DedicatedThreadPort is { } port)
        {
            _dedicated = new DedicatedThreadScrapeServer(collector, new IPEndPoint(options.Value.DedicatedThreadAddress, port));
            _dedicated.Start();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _dedicated?.Dispose();
        collector.Dispose();
        return Task.CompletedTask;
    }
}
