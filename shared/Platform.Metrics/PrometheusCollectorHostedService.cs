using Microsoft.Extensions.Hosting;

namespace Platform.Metrics;

/// <summary>Ties the collector's lifetime to the host: listening from app start, stopped at shutdown.</summary>
internal sealed class PrometheusCollectorHostedService(PrometheusCollector collector) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        collector.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        collector.Dispose();
        return Task.CompletedTask;
    }
}
