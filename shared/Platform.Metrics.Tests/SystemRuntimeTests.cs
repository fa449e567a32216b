namespace Platform.Metrics.Tests;

public sealed class SystemRuntimeTests
{
    [Fact]
    public void System_Runtime_meter_yields_thread_count_gauge_and_cpu_time_counter_by_mode()
    {
        var options = new PrometheusExporterOptions();
        options.Meters.Add("System.Runtime");
        using var collector = new PrometheusCollector(options);
        collector.Start();

        var families = Exposition.Parse(collector.Scrape());

        var threads = families["dotnet_thread_pool_thread_count"];
        Assert.Equal("gauge", threads.Type);
        Assert.True(Assert.Single(threads.Samples).Value >= 0);

        var cpu = families["dotnet_process_cpu_time_seconds_total"];
        Assert.Equal("counter", cpu.Type);
        Assert.Contains(cpu.Samples, s => s.Labels.GetValueOrDefault("cpu_mode") == "user" && s.Value > 0);
        Assert.Contains(cpu.Samples, s => s.Labels.GetValueOrDefault("cpu_mode") == "system");

        Assert.Equal("gauge", families["dotnet_thread_pool_queue_length"].Type);
        Assert.Equal("counter", families["dotnet_thread_pool_work_item_count_total"].Type);
        Assert.Equal("gauge", families["dotnet_process_memory_working_set_bytes"].Type);
    }
}
