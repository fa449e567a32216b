using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

public sealed class ConcurrencyTests
{
    private const int Threads = 16;
    private const int PerThread = 20_000;

    [Fact]
    public void Concurrent_recording_from_many_threads_gives_exact_totals()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<long>("hot.requests");
        var upDown = meter.Meter.CreateUpDownCounter<int>("hot.inflight");
        var histogram = meter.Meter.CreateHistogram<double>(
            "hot.duration", "s", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5] });

        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                // Alternate the tag order: both orders must land in the same series.
                if (i % 2 == 0)
                {
                    counter.Add(1, new("method", "GET"), new("route", "/r"));
                }
                else
                {
                    counter.Add(1, new("route", "/r"), new("method", "GET"));
                }

                upDown.Add(1);
                upDown.Add(-1);
                histogram.Record(i % 2 == 0 ? 0.25 : 1.0);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var families = Exposition.Parse(collector.Scrape());
        const double total = Threads * PerThread;
        Assert.Equal(total, Assert.Single(families["hot_requests_total"].Samples).Value);
        Assert.Equal(0, Assert.Single(families["hot_inflight"].Samples).Value);
        var duration = families["hot_duration_seconds"].Samples;
        Assert.Equal(total, duration.Single(s => s.Name == "hot_duration_seconds_count").Value);
        Assert.Equal(total / 2, duration.Single(s => s.Labels.GetValueOrDefault("le") == "0.5").Value);
        Assert.Equal(total / 2 * 1.25, duration.Single(s => s.Name == "hot_duration_seconds_sum").Value);
    }

    [Fact]
    public async Task Concurrent_scrapes_while_recording_all_produce_valid_expositions()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var histogram = meter.Meter.CreateHistogram<double>("busy.duration", "s");
        var observed = 0;
        meter.Meter.CreateObservableCounter("busy.observed", () => Interlocked.Increment(ref observed));
        histogram.Record(0.1, new KeyValuePair<string, object?>("worker", -1));
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                histogram.Record(i++ % 10 * 0.1, new KeyValuePair<string, object?>("worker", w));
            }
        })).ToList();

        var scrapes = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                var families = Exposition.Parse(collector.Scrape());
                foreach (var sample in families["busy_duration_seconds"].Samples.GroupBy(s => s.Labels.GetValueOrDefault("worker")))
                {
                    // A histogram series is read under its lock: the +Inf bucket always equals _count.
                    var inf = sample.Single(s => s.Labels.GetValueOrDefault("le") == "+Inf").Value;
                    var count = sample.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value;
                    Assert.Equal(count, inf);
                }
            }
        })).ToList();

        await Task.WhenAll(scrapes);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(observed >= 200, $"every scrape observes the observable instruments ({observed})");
    }

    [Fact]
    public void Recording_into_an_existing_series_does_not_allocate()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<long>("alloc.requests");
        var histogram = meter.Meter.CreateHistogram<double>("alloc.duration", "s");
        var method = new KeyValuePair<string, object?>("http.request.method", "GET");
        var route = new KeyValuePair<string, object?>("http.route", "/todos/{id}");

        // Warm up: the first measurement creates the series and the JIT compiles the paths.
        for (var i = 0; i < 1_000; i++)
        {
            counter.Add(1, method, route);
            histogram.Record(0.01, route, method);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            counter.Add(1, method, route);
            histogram.Record(0.01, route, method);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1024, $"20,000 measurements allocated {allocated} bytes");
        Assert.Contains("alloc_requests_total{http_request_method=\"GET\",http_route=\"/todos/{id}\"} 11000\n", collector.Scrape(), StringComparison.Ordinal);
    }
}
