namespace Platform.Metrics.Tests;

public sealed class CardinalityTests
{
    [Fact]
    public void New_label_sets_beyond_the_bound_are_dropped_and_counted()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector(o => o.MaxSeriesPerInstrument = 3);
        var counter = meter.Meter.CreateCounter<int>("user.requests");

        for (var user = 0; user < 5; user++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("user", user));
        }

        // An existing label set still records after the bound is reached.
        counter.Add(10, new KeyValuePair<string, object?>("user", 0));

        var families = Exposition.Parse(collector.Scrape());
        var samples = families["user_requests_total"].Samples;
        Assert.Equal(3, samples.Count);
        Assert.Equal(11, samples.Single(s => s.Labels["user"] == "0").Value);
        Assert.Equal(2, collector.DroppedSeries);

        var dropped = families["platform_metrics_dropped_series_total"];
        Assert.Equal("counter", dropped.Type);
        Assert.Equal(2, Assert.Single(dropped.Samples).Value);
    }

    [Fact]
    public void Self_metric_is_published_at_zero_even_when_its_meter_is_not_listed()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();

        var dropped = Exposition.Parse(collector.Scrape())["platform_metrics_dropped_series_total"];

        Assert.Equal(0, Assert.Single(dropped.Samples).Value);
        Assert.Equal(0, collector.DroppedSeries);
    }

    [Fact]
    public void The_bound_holds_under_concurrent_new_label_sets()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector(o => o.MaxSeriesPerInstrument = 50);
        var counter = meter.Meter.CreateCounter<long>("concurrent.users");

        Parallel.For(0, 1000, i => counter.Add(1, new KeyValuePair<string, object?>("user", i)));

        var samples = Exposition.Parse(collector.Scrape())["concurrent_users_total"].Samples;
        Assert.Equal(50, samples.Count);
        Assert.Equal(950, collector.DroppedSeries);
    }

    [Fact]
    public void Observable_label_sets_that_disappear_free_their_slot()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector(o => o.MaxSeriesPerInstrument = 2);
        string[] current = ["a", "b"];
        meter.Meter.CreateObservableGauge("pool.size", () => current.Select(p => new System.Diagnostics.Metrics.Measurement<int>(1, new KeyValuePair<string, object?>("pool", p))));

        collector.Scrape();
        current = ["c", "d"];
        var pools = Exposition.Parse(collector.Scrape())["pool_size"].Samples.Select(s => s.Labels["pool"]);

        Assert.Equal(["c", "d"], pools);
        Assert.Equal(0, collector.DroppedSeries);
    }

    [Fact]
    public void A_bound_below_one_is_rejected()
    {
        var options = new PrometheusExporterOptions { MaxSeriesPerInstrument = 0 };

        Assert.Throws<ArgumentOutOfRangeException>(() => new PrometheusCollector(options));
    }
}
