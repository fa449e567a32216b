using System.Diagnostics.Metrics;
using System.Text;

namespace Platform.Metrics.Tests;

public sealed class CollectorLifecycleTests
{
    [Fact]
    public void Instruments_published_before_Start_are_collected()
    {
        using var meter = new TestMeter();
        var counter = meter.Meter.CreateCounter<int>("early.bird");

        var collector = meter.StartCollector();
        counter.Add(1);

        Assert.Contains("early_bird_total 1\n", collector.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Meters_not_listed_are_not_collected()
    {
        using var listed = new TestMeter();
        using var unlisted = new Meter(listed.Name + ".unlisted");
        var collector = listed.StartCollector();

        unlisted.CreateCounter<int>("hidden").Add(1);
        listed.Meter.CreateCounter<int>("visible").Add(1);

        var text = collector.Scrape();
        Assert.Contains("visible_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_meter_name_ending_in_a_star_matches_by_prefix()
    {
        using var meter = new TestMeter();
        using var child = new Meter(meter.Name + ".Child");
        var options = new PrometheusExporterOptions();
        options.Meters.Add(meter.Name + ".*");
        using var collector = new PrometheusCollector(options);
        collector.Start();

        child.CreateCounter<int>("child.events").Add(1);
        meter.Meter.CreateCounter<int>("parent.events").Add(1);

        var text = collector.Scrape();
        Assert.Contains("child_events_total 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("parent_events", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Instruments_of_a_disposed_meter_stop_being_exported()
    {
        using var meter = new TestMeter();
        using var shortLived = new Meter(meter.Name + ".short");
        var collector = meter.StartCollector(o => o.Meters.Add(shortLived.Name));
        shortLived.CreateCounter<int>("ephemeral").Add(1);
        Assert.Contains("ephemeral_total", collector.Scrape(), StringComparison.Ordinal);

        shortLived.Dispose();

        Assert.DoesNotContain("ephemeral_total", collector.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_stops_listening_and_later_scrapes_throw()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<int>("after.dispose");

        collector.Dispose();
        counter.Add(1);

        Assert.False(counter.Enabled);
        Assert.Throws<ObjectDisposedException>(() => collector.Scrape());
        collector.Dispose();
    }

    [Fact]
    public async Task WriteAsync_streams_the_same_exposition_as_Scrape_in_UTF8_without_BOM()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<int>("unicode.events");
        counter.Add(1, new KeyValuePair<string, object?>("city", "Zürich"));
        for (var i = 0; i < 2000; i++)
        {
            meter.Meter.CreateCounter<int>($"bulk.{i:D4}").Add(i);
        }

        var expected = collector.Scrape();
        using var stream = new MemoryStream();
        await collector.WriteAsync(stream, TestContext.Current.CancellationToken);
        var bytes = stream.ToArray();

        Assert.NotEqual(0xEF, bytes[0]);
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        Assert.Contains("city=\"Zürich\"", expected, StringComparison.Ordinal);
        Assert.True(stream.CanWrite, "WriteAsync must leave the caller's stream open.");
    }

    [Fact]
    public async Task WriteAsync_honours_cancellation()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collector.WriteAsync(Stream.Null, cancelled.Token));
    }

    [Fact]
    public void An_observable_callback_that_throws_does_not_break_the_scrape()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var fail = false;
        meter.Meter.CreateObservableGauge("flaky.value", () => fail ? throw new InvalidOperationException("boom") : 1);
        meter.Meter.CreateObservableGauge("steady.value", () => 2);

        Assert.Contains("flaky_value 1\n", collector.Scrape(), StringComparison.Ordinal);
        fail = true;
        var text = collector.Scrape();

        Assert.Contains("steady_value 2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("flaky_value", text, StringComparison.Ordinal);
    }
}
