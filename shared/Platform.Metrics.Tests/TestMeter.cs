using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

/// <summary>
/// A uniquely named meter plus a started collector that only listens to it, so tests running in
/// parallel never see each other's measurements.
/// </summary>
internal sealed class TestMeter : IDisposable
{
    private readonly List<PrometheusCollector> _collectors = [];

    public TestMeter()
    {
        Name = "Platform.Metrics.Tests." + Guid.NewGuid().ToString("N");
        Meter = new Meter(Name);
    }

    public string Name { get; }

    public Meter Meter { get; }

    public PrometheusCollector StartCollector(Action<PrometheusExporterOptions>? configure = null)
    {
        var options = new PrometheusExporterOptions();
        options.Meters.Add(Name);
        configure?.Invoke(options);
        var collector = new PrometheusCollector(options);
        _collectors.Add(collector);
        collector.Start();
        return collector;
    }

    public void Dispose()
    {
        foreach (var collector in _collectors)
        {
            collector.Dispose();
        }

        Meter.Dispose();
    }
}
