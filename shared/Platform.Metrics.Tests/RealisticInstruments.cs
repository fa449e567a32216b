using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

/// <summary>Instruments shaped like the ones the API and the runtime publish, with a few awkward values.</summary>
internal static class RealisticInstruments
{
    public static void Record(Meter meter)
    {
        var duration = meter.CreateHistogram<double>(
            "http.server.request.duration",
            "s",
            "Duration of HTTP server requests.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        duration.Record(0.012, new("http.request.method", "GET"), new("http.route", "/todos/{id}"), new("http.response.status_code", 200));
        duration.Record(0.3, new("http.route", "/todos/{id}"), new("http.request.method", "GET"), new("http.response.status_code", 200));
        duration.Record(1.7, new("http.request.method", "POST"), new("http.route", "/todos"), new("http.response.status_code", 500));

        meter.CreateHistogram<double>("db.client.operation.duration", "s", "Database operation duration.").Record(0.02);

        var requests = meter.CreateCounter<long>("platform.workload.requests", "{request}", "Workload requests served.");
        requests.Add(3, new KeyValuePair<string, object?>("workload", "cpu"));
        requests.Add(1, new KeyValuePair<string, object?>("workload", "C:\\path \"quoted\"\nline"));

        meter.CreateCounter<double>("dotnet.gc.pause.time", "s", "GC pause time.").Add(0.042);
        meter.CreateObservableCounter("dotnet.process.cpu.time", () => new[]
        {
            new Measurement<double>(1.5, new KeyValuePair<string, object?>("cpu.mode", "user")),
            new Measurement<double>(0.25, new KeyValuePair<string, object?>("cpu.mode", "system")),
        }, "s", "CPU time used by the process.");
        meter.CreateObservableCounter("dotnet.gc.heap.total_allocated", () => 123_456_789L, "By", "Bytes allocated.");

        meter.CreateObservableUpDownCounter("dotnet.process.memory.working_set", () => 50_000_000L, "By", "Working set.");
        meter.CreateObservableCounter("dotnet.thread_pool.queue.length", () => 2L, "{work_item}", "Queued work items.");
        meter.CreateUpDownCounter<long>("kestrel.active_connections", "{connection}", "Open connections.").Add(3);
        meter.CreateGauge<int>("platform.thread_pool.min_threads", "{thread}", "Minimum thread pool threads.").Record(8);
        meter.CreateObservableGauge("platform.process.cpu.limit", () => 2.5, "{cpu}", "CPU limit.");
        meter.CreateObservableGauge("platform.weird.values", () => new[]
        {
            new Measurement<double>(double.PositiveInfinity, new KeyValuePair<string, object?>("kind", "pos")),
            new Measurement<double>(double.NegativeInfinity, new KeyValuePair<string, object?>("kind", "neg")),
            new Measurement<double>(double.NaN, new KeyValuePair<string, object?>("kind", "nan")),
            new Measurement<double>(1e-9, new KeyValuePair<string, object?>("kind", "tiny")),
        }, "{value}", "Values the format spells specially.");
    }
}
