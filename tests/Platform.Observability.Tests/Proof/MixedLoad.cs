using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Platform.Observability.Tests.Proof;

/// <summary>One kind of request the load sends, with how many workers loop on it, started evenly over <paramref name="Ramp"/>.</summary>
public sealed record LoadKind(string Workload, string Mode, int Workers, Func<HttpClient, CancellationToken, Task<HttpResponseMessage>> Send, TimeSpan Ramp = default);

/// <summary>
/// A short closed-loop mix over every workload and mode the dashboards break down: blocking requests enough
/// to starve a fresh pool (so the operator raises min threads), and a worker or two on everything else.
/// It measures each request from the client, the way k6 does, for the k6-shaped series.
/// </summary>
public sealed class MixedLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly Dictionary<(string Workload, string Mode), ClientStats> _stats = [];

    public MixedLoad(HttpClient client, IReadOnlyList<LoadKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        foreach (var kind in kinds)
        {
            var stats = _stats[(kind.Workload, kind.Mode)] = new ClientStats();
            for (var i = 0; i < kind.Workers; i++)
            {
                var delay = kind.Ramp * i / kind.Workers;
                _workers.Add(Task.Run(() => LoopAsync(client, kind, stats, delay)));
            }
        }
        Workers = _workers.Count;
    }

    public int Workers { get; }

    /// <summary>The mix used by the proof: every workload and mode, 40 blocking workers to starve a 2-thread pool.</summary>
    public static IReadOnlyList<LoadKind> Everything() =>
    [
        Get("io-delay", "sync", 40, "/io/delay/sync?ms=400", TimeSpan.FromSeconds(16)),
        Get("io-delay", "async", 2, "/io/delay/async?ms=50"),
        Get("io-delay", "sync-over-async", 1, "/io/delay/sync-over-async?ms=50"),
        Get("io-delay", "task-run", 1, "/io/delay/task-run?ms=50"),
        Get("io-http", "async", 1, "/io/http/async?ms=20"),
        Get("io-http", "sync", 1, "/io/http/sync?ms=20"),
        Get("db", "async", 1, "/db/async?ms=10&rows=5"),
        Get("db", "sync", 1, "/db/sync?ms=10&rows=5"),
        Get("db", "sync-over-async", 1, "/db/sync-over-async?ms=10&rows=5"),
        Get("db", "task-run", 1, "/db/task-run?ms=10&rows=5"),
        Get("cpu", "sync", 1, "/cpu/sync?iterations=200000"),
        Get("cpu", "task-run", 1, "/cpu/task-run?iterations=200000"),
        Get("fanout", "sequential", 1, "/fanout/sequential?calls=3&ms=20"),
        Get("fanout", "when-all", 1, "/fanout/when-all?calls=3&ms=20"),
        new("orders", "async", 1, (client, cancel) =>
            client.PostAsJsonAsync("/orders", new { item = "widget", quantity = 1 }, cancel)),
    ];

    public int Completed => _stats.Values.Sum(s => s.Count);

    /// <summary>
    /// The k6-shaped series at <paramref name="now"/>: k6_http_req_duration_p50/_p95/_p99 (seconds, over the
    /// requests since the previous call), k6_http_reqs_total and k6_http_req_failed_rate per workload and mode,
    /// and k6_vus, k6_iterations_total and k6_dropped_iterations_total for the test.
    /// </summary>
    public IReadOnlyList<RemoteWriteSample> K6Samples(string testId, string scenario, DateTimeOffset now)
    {
        var samples = new List<RemoteWriteSample>();
        var iterations = 0;
        foreach (var ((workload, mode), stats) in _stats)
        {
            var (recent, count, failed) = stats.Take();
            iterations += count;
            Dictionary<string, string> Labels(string name) => new(StringComparer.Ordinal)
            {
                ["__name__"] = name, ["workload"] = workload, ["mode"] = mode, ["scenario"] = scenario, ["testid"] = testId,
            };
            if (recent.Length > 0)
            {
                Array.Sort(recent);
                samples.Add(new(Labels("k6_http_req_duration_p50"), Percentile(recent, 0.50), now));
                samples.Add(new(Labels("k6_http_req_duration_p95"), Percentile(recent, 0.95), now));
                samples.Add(new(Labels("k6_http_req_duration_p99"), Percentile(recent, 0.99), now));
            }
            samples.Add(new(Labels("k6_http_reqs_total"), count, now));
            samples.Add(new(Labels("k6_http_req_failed_rate"), count == 0 ? 0 : (double)failed / count, now));
        }
        Dictionary<string, string> TestLabels(string name, bool withScenario) => withScenario
            ? new(StringComparer.Ordinal) { ["__name__"] = name, ["scenario"] = scenario, ["testid"] = testId }
            : new(StringComparer.Ordinal) { ["__name__"] = name, ["testid"] = testId };
        samples.Add(new(TestLabels("k6_vus", withScenario: false), _stop.IsCancellationRequested ? 0 : Workers, now));
        samples.Add(new(TestLabels("k6_iterations_total", withScenario: true), iterations, now));
        // A closed loop never drops iterations; the series exists (at 0) as k6 writes it.
        samples.Add(new(TestLabels("k6_dropped_iterations_total", withScenario: true), 0, now));
        return samples;
    }

    /// <summary>Every request so far: how many, how many failed, and each one's duration in seconds.</summary>
    public (int Count, int Failed, IReadOnlyList<double> Durations) Totals()
    {
        var durations = _stats.Values.SelectMany(s => s.All()).ToList();
        return (_stats.Values.Sum(s => s.Count), _stats.Values.Sum(s => s.Failed), durations);
    }

    public string Summary() => string.Join(", ", _stats.OrderBy(s => s.Key).Select(s =>
        string.Create(CultureInfo.InvariantCulture, $"{s.Key.Workload}/{s.Key.Mode} {s.Value.Count} ({s.Value.Failed} failed)")));

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    private static LoadKind Get(string workload, string mode, int workers, string path, TimeSpan ramp = default) =>
        new(workload, mode, workers, (client, cancel) => client.GetAsync(path, cancel), ramp);

    private async Task LoopAsync(HttpClient client, LoadKind kind, ClientStats stats, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                using var response = await kind.Send(client, _stop.Token);
                ok = response.IsSuccessStatusCode;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                ok = false;
            }
            stats.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, ok);
            // A short pause keeps the light kinds from turning into a CPU benchmark on a 2-core machine.
            try
            {
                await Task.Delay(20, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class ClientStats
    {
        private readonly Lock _lock = new();
        private readonly List<double> _all = [];
        private List<double> _recent = [];
        private int _count;
        private int _failed;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public int Failed
        {
            get
            {
                lock (_lock)
                {
                    return _failed;
                }
            }
        }

        public void Record(double seconds, bool ok)
        {
            lock (_lock)
            {
                _recent.Add(seconds);
                _all.Add(seconds);
                _count++;
                _failed += ok ? 0 : 1;
            }
        }

        public double[] All()
        {
            lock (_lock)
            {
                return [.. _all];
            }
        }

        /// <summary>Durations since the last call, and the running totals.</summary>
        public (double[] Recent, int Count, int Failed) Take()
        {
            lock (_lock)
            {
                var recent = _recent.ToArray();
                _recent = [];
                return (recent, _count, _failed);
            }
        }
    }
}
