using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>One /db/blob cell: a provider, a mode, a value size and a number of concurrent clients, on a fresh API process.</summary>
/// <param name="Unloaded">The server's own view of five sequential requests after the load: median elapsed and blocked ms, and whether they completed synchronously.</param>
internal sealed record BlobCell(
    string Provider, string Mode, int Kilobytes, int Concurrency, FixedConcurrencyResult Result, double? PoolThreadsAtEnd,
    (double ElapsedMs, double BlockedMs, bool CompletedSynchronously) Unloaded, double? OtherCpuShare)
{
    public double MegabytesPerSecond => Result.OkPerSecond * Kilobytes / 1024.0;
}

/// <summary>
/// The large-value read (/db/blob/{mode}) on every provider that can run here, closed-loop: each of
/// <c>concurrency</c> clients sends its next request when the last is answered, as wrk does, for a fixed time.
/// SQLite always; PostgreSQL through a throwaway server (initdb, pg_ctl); SQL Server where
/// SQLSERVER_CONNECTION_STRING names one. A fresh API process per cell, so threads injected in one cell do not
/// help the next.
/// </summary>
internal static class BlobBenchmark
{
    private const string SqlServerVariable = "SQLSERVER_CONNECTION_STRING";

    public static async Task<string> RunAsync(HttpClient client, IReadOnlyList<int> sizes, IReadOnlyList<int> concurrencies, TimeSpan duration,
        Stopwatch clock, CancellationToken cancellationToken)
    {
        var cells = new List<BlobCell>();
        var providers = new List<(string Name, Func<Task<(IReadOnlyDictionary<string, string> Settings, IAsyncDisposable? Server)>> Start)>
        {
            ("sqlite", () => Task.FromResult<(IReadOnlyDictionary<string, string>, IAsyncDisposable?)>((new Dictionary<string, string>(), null))),
            ("postgres", async () =>
            {
                var server = await PostgresServer.StartAsync(cancellationToken);
                return (new Dictionary<string, string>
                {
                    ["Database__Provider"] = "Postgres",
                    ["Database__ConnectionString"] = server.ConnectionStringFor("postgres") + ";Maximum Pool Size=100",
                }, server);
            }),
        };
        var skipped = new List<string>();
        if (Environment.GetEnvironmentVariable(SqlServerVariable) is { Length: > 0 } sqlServer)
        {
            providers.Add(("sqlserver", () => Task.FromResult<(IReadOnlyDictionary<string, string>, IAsyncDisposable?)>((new Dictionary<string, string>
            {
                ["Database__Provider"] = "SqlServer",
                ["Database__ConnectionString"] = sqlServer,
            }, null))));
        }
        else
        {
            skipped.Add($"sqlserver: not measured, {SqlServerVariable} is not set (no SQL Server can be installed on this machine)");
        }

        foreach (var (name, start) in providers)
        {
            var (settings, server) = await start();
            try
            {
                foreach (var mode in Program.DelayModes)
                {
                    foreach (var kb in sizes)
                    {
                        foreach (var concurrency in concurrencies)
                        {
                            cells.Add(await RunCellAsync(client, name, settings, mode, kb, concurrency, duration, clock, cancellationToken));
                        }
                    }
                }
            }
            finally
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }

        return Render(cells, skipped, duration);
    }

    private static async Task<BlobCell> RunCellAsync(HttpClient client, string provider, IReadOnlyDictionary<string, string> settings, string mode, int kb,
        int concurrency, TimeSpan duration, Stopwatch clock, CancellationToken cancellationToken)
    {
        Progress(clock, $"db/blob {provider} {mode} {kb} KiB x {concurrency}");
        await using var api = await ApiUnderTest.StartAsync(metricsEnabled: true, cancellationToken, settings);
        var path = $"db/blob/{mode}?kb={kb}";
        await api.WarmUpAsync(client, Enumerable.Repeat(path, 5), cancellationToken);
        var target = new Uri(api.BaseAddress, path);
        var cpuBefore = CpuAccounting.Read(api.Pid);
        var result = await new FixedConcurrencyLoad(client, concurrency).RunAsync(target, duration, cancellationToken);
        var otherCpu = CpuAccounting.OthersShare(cpuBefore, CpuAccounting.Read(api.Pid));
        var threads = await api.ReadMetricAsync("dotnet_thread_pool_thread_count", null, Program.ControlTimeout, cancellationToken);
        var probes = new List<BlobAnswer>();
        for (var i = 0; i < 5; i++)
        {
            probes.Add(await client.GetFromJsonAsync<BlobAnswer>(target, cancellationToken) ?? throw new InvalidOperationException($"GET {path}: empty body"));
        }
        var unloaded = (Median(probes.Select(p => p.ElapsedMs)), Median(probes.Select(p => p.ThreadBlockedMs)), probes.All(p => p.CompletedSynchronously));
        Progress(clock, $"  {result.OkPerSecond:0.#}/s, p50 {result.Latency.P50.TotalMilliseconds:0.#} ms, p99 {result.Latency.P99.TotalMilliseconds:0.#} ms, {result.Failed} failed");
        return new BlobCell(provider, mode, kb, concurrency, result, threads, unloaded, otherCpu);
    }

    private static string Render(List<BlobCell> cells, List<string> skipped, TimeSpan duration)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"### db/blob: one large value per request, {duration.TotalSeconds:0} s closed loop per cell, a fresh API process per cell\n\n");
        var table = new MarkdownTable(2, "provider", "mode", "KiB", "clients", "req/s", "MiB/s", "p50 ms", "p99 ms", "failed", "pool threads at end",
            "alone: elapsed ms", "alone: blocked ms", "alone: completed sync");
        foreach (var c in cells)
        {
            table.Add(c.Provider, c.Mode, N(c.Kilobytes), N(c.Concurrency), F(c.Result.OkPerSecond), F(c.MegabytesPerSecond),
                F(c.Result.Latency.P50.TotalMilliseconds), F(c.Result.Latency.P99.TotalMilliseconds), N(c.Result.Failed),
                c.PoolThreadsAtEnd is { } t ? F(t) : "no answer", F(c.Unloaded.ElapsedMs), F(c.Unloaded.BlockedMs), c.Unloaded.CompletedSynchronously ? "yes" : "no");
        }
        text.Append(table).Append('\n');
        text.Append("- **alone**: the server's own report (`elapsedMs`, `threadBlockedMs`, `completedSynchronously`) for five sequential requests after the load, median.\n");
        foreach (var line in skipped)
        {
            text.Append("- ").Append(line).Append('\n');
        }

        text.Append("\n#### async against sync, per provider: p50 ratio and throughput ratio (async / sync)\n\n");
        var ratios = new MarkdownTable(1, ["KiB x clients", .. cells.Select(c => c.Provider).Distinct().SelectMany(p => new[] { $"{p} p50", $"{p} req/s" })]);
        foreach (var group in cells.GroupBy(c => (c.Kilobytes, c.Concurrency)))
        {
            var row = new List<string> { $"{group.Key.Kilobytes} x {group.Key.Concurrency}" };
            foreach (var provider in cells.Select(c => c.Provider).Distinct())
            {
                var async = group.Single(c => c.Provider == provider && c.Mode == "async");
                var sync = group.Single(c => c.Provider == provider && c.Mode == "sync");
                row.Add(Ratio(async.Result.Latency.P50.TotalMilliseconds, sync.Result.Latency.P50.TotalMilliseconds));
                row.Add(Ratio(async.Result.OkPerSecond, sync.Result.OkPerSecond));
            }
            ratios.Add([.. row]);
        }
        text.Append(ratios).Append('\n');
        var others = cells.Select(c => c.OtherCpuShare).OfType<double>().ToList();
        if (others.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"- Other processes used {others.Average() * 100:0} % of the machine's CPU on average during the measured runs (at most {others.Max() * 100:0} %).\n");
        }
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    private static string F(double value) => value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Progress(Stopwatch clock, string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {message}"));

    private sealed record BlobAnswer(double ElapsedMs, double ThreadBlockedMs, bool CompletedSynchronously);
}
