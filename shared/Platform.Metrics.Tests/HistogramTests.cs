using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

public sealed class HistogramTests
{
    [Fact]
    public void Histogram_writes_cumulative_buckets_from_advice_plus_inf_sum_and_count()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var histogram = meter.Meter.CreateHistogram<double>(
            "job.duration",
            "s",
            "Job duration.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 10] });

        foreach (var value in new[] { 0.05, 0.1, 0.5, 2, 20 })
        {
            histogram.Record(value);
        }

        var family = Exposition.Parse(collector.Scrape())["job_duration_seconds"];
        Assert.Equal("histogram", family.Type);

        var buckets = family.Samples.Where(s => s.Name == "job_duration_seconds_bucket").ToList();
        Assert.Equal(["0.1", "1", "10", "+Inf"], buckets.Select(b => b.Labels["le"]));
        Assert.Equal([2d, 3d, 4d, 5d], buckets.Select(b => b.Value));
        Assert.Equal(22.65, family.Samples.Single(s => s.Name == "job_duration_seconds_sum").Value, 10);
        Assert.Equal(5, family.Samples.Single(s => s.Name == "job_duration_seconds_count").Value);
    }

    [Fact]
    public void Histogram_in_seconds_without_advice_uses_the_seconds_default_buckets()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateHistogram<double>("request.duration", "s").Record(0.3);

        var buckets = Exposition.Parse(collector.Scrape())["request_duration_seconds"].Samples
            .Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(
            ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"],
            buckets.Select(b => b.Labels["le"]));
        Assert.Equal(0, buckets.Single(b => b.Labels["le"] == "0.25").Value);
        Assert.Equal(1, buckets.Single(b => b.Labels["le"] == "0.5").Value);
    }

    [Fact]
    public void Histogram_in_other_units_without_advice_uses_the_OpenTelemetry_default_buckets()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateHistogram<int>("payload.size", "By").Record(300);

        var buckets = Exposition.Parse(collector.Scrape())["payload_size_bytes"].Samples
            .Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(
            ["0", "5", "10", "25", "50", "75", "100", "250", "500", "750", "1000", "2500", "5000", "7500", "10000", "+Inf"],
            buckets.Select(b => b.Labels["le"]));
        Assert.Equal(1, buckets.Single(b => b.Labels["le"] == "500").Value);
        Assert.Equal(0, buckets.Single(b => b.Labels["le"] == "250").Value);
    }

    [Fact]
    public void Configured_buckets_take_precedence_over_advice()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector(o => o.HistogramBuckets["work.time"] = [2, 1, double.PositiveInfinity]);
        var histogram = meter.Meter.CreateHistogram<long>(
            "work.time",
            "s",
            null,
            null,
            new InstrumentAdvice<long> { HistogramBucketBoundaries = [100, 200] });

        histogram.Record(1);
        histogram.Record(3);

        var buckets = Exposition.Parse(collector.Scrape())["work_time_seconds"].Samples
            .Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal))
            .ToList();

        // Configured bounds are sorted and an explicit +Inf is not duplicated.
        Assert.Equal(["1", "2", "+Inf"], buckets.Select(b => b.Labels["le"]));
        Assert.Equal([1d, 1d, 2d], buckets.Select(b => b.Value));
    }

    [Fact]
    public void Histogram_series_keep_their_labels_with_le_last()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var histogram = meter.Meter.CreateHistogram<double>(
            "http.server.request.duration",
            "s",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1] });

        histogram.Record(0.5, new KeyValuePair<string, object?>("http.route", "/a"));
        histogram.Record(2, new KeyValuePair<string, object?>("http.route", "/b"));

        var text = collector.Scrape();

        Assert.Contains("http_server_request_duration_seconds_bucket{http_route=\"/a\",le=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{http_route=\"/b\",le=\"1\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{http_route=\"/b\",le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_count{http_route=\"/b\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_ignores_NaN_measurements()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var histogram = meter.Meter.CreateHistogram<double>("odd.values", "s");

        histogram.Record(double.NaN);
        Assert.DoesNotContain("odd_values", collector.Scrape(), StringComparison.Ordinal);

        histogram.Record(1);
        Assert.Equal(1, Exposition.Parse(collector.Scrape())["odd_values_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }
}
