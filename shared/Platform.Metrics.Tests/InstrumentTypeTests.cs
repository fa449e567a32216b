using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

public sealed class InstrumentTypeTests
{
    [Fact]
    public void Counter_is_a_prometheus_counter_with_total_suffix_summing_every_add()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<long>("orders.placed", "{order}", "Orders placed.");

        counter.Add(2);
        counter.Add(3);
        counter.Add(5);

        var family = Exposition.Parse(collector.Scrape())["orders_placed_total"];
        Assert.Equal("counter", family.Type);
        Assert.Equal("Orders placed.", family.Help);
        Assert.Equal(10, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void Counter_ignores_negative_and_NaN_adds_so_it_stays_monotonic()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<double>("jobs.done");

        counter.Add(4);
        counter.Add(-1);
        counter.Add(double.NaN);

        Assert.Equal(4, Assert.Single(Exposition.Parse(collector.Scrape())["jobs_done_total"].Samples).Value);
    }

    [Fact]
    public void Observable_counter_exports_its_last_observation_as_the_cumulative_total()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var total = 0L;
        meter.Meter.CreateObservableCounter("bytes.read", () => total, "By");

        total = 100;
        collector.Scrape();
        total = 150;
        var family = Exposition.Parse(collector.Scrape())["bytes_read_bytes_total"];

        Assert.Equal("counter", family.Type);
        Assert.Equal(150, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void UpDownCounter_is_a_gauge_summing_increments_and_decrements()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var active = meter.Meter.CreateUpDownCounter<int>("sessions.active", "{session}");

        active.Add(5);
        active.Add(-2);
        active.Add(1);

        var family = Exposition.Parse(collector.Scrape())["sessions_active"];
        Assert.Equal("gauge", family.Type);
        Assert.Equal(4, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void Observable_up_down_counter_is_a_gauge_with_the_last_value()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var value = 7;
        meter.Meter.CreateObservableUpDownCounter("queue.depth", () => value);

        collector.Scrape();
        value = 3;
        var family = Exposition.Parse(collector.Scrape())["queue_depth"];

        Assert.Equal("gauge", family.Type);
        Assert.Equal(3, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void Observable_gauge_is_a_gauge_with_the_last_value()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var temperature = 21.5;
        meter.Meter.CreateObservableGauge("room.temperature", () => temperature, "Cel");

        collector.Scrape();
        temperature = 19.25;
        var family = Exposition.Parse(collector.Scrape())["room_temperature_celsius"];

        Assert.Equal("gauge", family.Type);
        Assert.Equal(19.25, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void Synchronous_gauge_is_a_gauge_with_the_last_recorded_value()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var gauge = meter.Meter.CreateGauge<double>("cpu.limit", "{cpu}");

        gauge.Record(4);
        gauge.Record(1.5);

        var family = Exposition.Parse(collector.Scrape())["cpu_limit"];
        Assert.Equal("gauge", family.Type);
        Assert.Equal(1.5, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void Observable_counter_named_in_GaugeInstruments_is_a_gauge_without_total_and_with_the_last_value()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var length = 12L;
        meter.Meter.CreateObservableCounter("dotnet.thread_pool.queue.length", () => length, "{work_item}");

        collector.Scrape();
        length = 4;
        var families = Exposition.Parse(collector.Scrape());

        var family = families["dotnet_thread_pool_queue_length"];
        Assert.Equal("gauge", family.Type);
        Assert.Equal(4, Assert.Single(family.Samples).Value);
        Assert.DoesNotContain("dotnet_thread_pool_queue_length_total", families.Keys);
    }

    [Fact]
    public void Counter_added_to_GaugeInstruments_is_a_gauge_with_the_last_added_value()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector(o => o.GaugeInstruments.Add("workers.busy"));
        var counter = meter.Meter.CreateCounter<int>("workers.busy");

        counter.Add(3);
        counter.Add(2);

        var family = Exposition.Parse(collector.Scrape())["workers_busy"];
        Assert.Equal("gauge", family.Type);
        Assert.Equal(2, Assert.Single(family.Samples).Value);
    }

    [Fact]
    public void GaugeInstruments_defaults_cover_the_runtime_thread_pool_counters()
    {
        var options = new PrometheusExporterOptions();

        Assert.Contains("dotnet.thread_pool.queue.length", options.GaugeInstruments);
        Assert.Contains("dotnet.thread_pool.thread.count", options.GaugeInstruments);
        Assert.Equal(1000, options.MaxSeriesPerInstrument);
        Assert.Empty(options.Meters);
    }

    [Fact]
    public void Counters_of_every_numeric_type_are_summed()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<byte>("t.byte").Add(2);
        meter.Meter.CreateCounter<short>("t.short").Add(300);
        meter.Meter.CreateCounter<int>("t.int").Add(70_000);
        meter.Meter.CreateCounter<long>("t.long").Add(5_000_000_000);
        meter.Meter.CreateCounter<float>("t.float").Add(0.5f);
        meter.Meter.CreateCounter<double>("t.double").Add(0.25);
        meter.Meter.CreateCounter<decimal>("t.decimal").Add(1.75m);

        var families = Exposition.Parse(collector.Scrape());

        Assert.Equal(2, Assert.Single(families["t_byte_total"].Samples).Value);
        Assert.Equal(300, Assert.Single(families["t_short_total"].Samples).Value);
        Assert.Equal(70_000, Assert.Single(families["t_int_total"].Samples).Value);
        Assert.Equal(5_000_000_000, Assert.Single(families["t_long_total"].Samples).Value);
        Assert.Equal(0.5, Assert.Single(families["t_float_total"].Samples).Value);
        Assert.Equal(0.25, Assert.Single(families["t_double_total"].Samples).Value);
        Assert.Equal(1.75, Assert.Single(families["t_decimal_total"].Samples).Value);
    }

    [Fact]
    public void Instruments_never_recorded_are_not_emitted()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<long>("never.added");
        meter.Meter.CreateHistogram<double>("never.recorded", "s");
        meter.Meter.CreateObservableGauge("never.observed", () => Array.Empty<Measurement<int>>());

        var text = collector.Scrape();

        Assert.DoesNotContain("never_", text, StringComparison.Ordinal);
    }
}
