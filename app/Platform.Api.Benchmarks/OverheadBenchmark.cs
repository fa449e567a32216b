using System.Diagnostics;
using System.Globalization;
using System.Text;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>How the metrics-overhead runs are made.</summary>
/// <param name="Path">The endpoint under load, relative to the API's base address.</param>
/// <param name="Connections">Closed-loop workers of the in-process generator, and wrk's connections.</param>
/// <param name="Rounds">Each round is four fresh processes in the order on, off, off, on.</param>
/// <param name="LogLevel">Logging:LogLevel for Default and Microsoft.AspNetCore (where ASP.NET Core's per-request logs are written).</param>
/// <param name="Wrk">wrk's path, or null to run the in-process generator alone.</param>
internal sealed record OverheadSettings(
    string Path, int Connections, TimeSpan Duration, TimeSpan WarmUp, int Rounds, string LogLevel, string? Wrk);

/// <summary>One API process of the overhead comparison, measured by the in-process generator and, when installed, by wrk.</summary>
/// <param name="InProcessFirst">Which generator measured first in this process; it alternates, so neither always gets the warmer server.</param>
internal sealed record OverheadRun(
    int Order, bool MetricsEnabled, bool InProcessFirst,
    FixedConcurrencyResult InProcess, CpuShares? InProcessCpu,
    WrkResult? Wrk, CpuShares? WrkCpu,
    int Scrapes);

/// <summary>
/// What metrics collection costs the server: fresh API processes with Metrics:Enabled on and off, in the order
/// on, off, off, on (repeated per round, so a drift over time hits both settings alike), each warmed up at full
/// load first, each measured by the in-process generator and by wrk against the same process. The CPU the
/// server, each generator and the rest of the machine used is read from /proc around every measurement.
/// </summary>
internal static class OverheadBenchmark
{
    private const int SequentialWarmUpRequests = 20;
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);
    private static readonly bool[] RoundOrder = [true, false, false, true];

    public static async Task<List<OverheadRun>> RunAsync(HttpClient client, OverheadSettings settings, Stopwatch clock, CancellationToken cancellationToken)
    {
        var runs = new List<OverheadRun>();
        var order = 0;
        for (var round = 0; round < settings.Rounds; round++)
        {
            foreach (var metricsEnabled in RoundOrder)
            {
                order++;
                runs.Add(await RunOneAsync(client, order, metricsEnabled, inProcessFirst: order % 2 == 1, settings, clock, cancellationToken));
            }
        }
        return runs;
    }

    private static async Task<OverheadRun> RunOneAsync(
        HttpClient client, int order, bool metricsEnabled, bool inProcessFirst, OverheadSettings settings, Stopwatch clock, CancellationToken cancellationToken)
    {
        Progress(clock, $"metrics overhead run {order}: metrics {(metricsEnabled ? "on" : "off")}, {(inProcessFirst || settings.Wrk is null ? "in-process first" : "wrk first")}");
        await using var api = await ApiUnderTest.StartAsync(metricsEnabled, cancellationToken, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = settings.LogLevel,
            ["Logging__LogLevel__Microsoft.AspNetCore"] = settings.LogLevel,
        });
        var target = new Uri(api.BaseAddress, settings.Path);
        await api.WarmUpAsync(client, Enumerable.Repeat(settings.Path, SequentialWarmUpRequests), cancellationToken);
        var load = new FixedConcurrencyLoad(client, settings.Connections);
        if (settings.WarmUp > TimeSpan.Zero)
        {
            // Full load before measuring: tiered JIT promotes the hot paths only after they have run for a while.
            await load.RunAsync(target, settings.WarmUp, cancellationToken);
        }

        using var stopScraping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scraper = metricsEnabled ? ScrapeEverySecondAsync(api, stopScraping.Token) : Task.FromResult(0);

        FixedConcurrencyResult? inProcess = null;
        CpuShares? inProcessCpu = null;
        WrkResult? wrk = null;
        CpuShares? wrkCpu = null;
        async Task MeasureInProcessAsync()
        {
            var before = CpuSample.Read(api.Pid);
            inProcess = await load.RunAsync(target, settings.Duration, cancellationToken);
            inProcessCpu = CpuSample.Between(before, CpuSample.Read(api.Pid));
        }
        async Task MeasureWrkAsync(string path)
        {
            var before = CpuSample.Read(api.Pid);
            wrk = await WrkLoad.RunAsync(path, target, settings.Connections, settings.Duration, cancellationToken);
            wrkCpu = CpuSample.Between(before, CpuSample.Read(api.Pid));
        }

        if (settings.Wrk is not { } wrkPath)
        {
            await MeasureInProcessAsync();
        }
        else if (inProcessFirst)
        {
            await MeasureInProcessAsync();
            await MeasureWrkAsync(wrkPath);
        }
        else
        {
            await MeasureWrkAsync(wrkPath);
            await MeasureInProcessAsync();
        }

        await stopScraping.CancelAsync();
        var scrapes = await scraper;
        Progress(clock, Invariant($"  in-process {inProcess!.OkPerSecond:0}/s (p99 {inProcess.Latency.P99.TotalMilliseconds:0.0} ms, {inProcess.Failed} failed, generator CPU {inProcessCpu?.InProcessGenerator:P0}, server {inProcessCpu?.Server:P0}, others {inProcessCpu?.Others:P0})")
            + (wrk is null ? "" : Invariant($"; wrk {wrk.RequestsPerSecond:0}/s (p99 {wrk.P99.TotalMilliseconds:0.0} ms, {wrk.Errors} errors, wrk CPU {wrkCpu?.Wrk:P0}, server {wrkCpu?.Server:P0}, others {wrkCpu?.Others:P0})"))
            + (metricsEnabled ? Invariant($"; {scrapes} scrapes") : ""));
        return new OverheadRun(order, metricsEnabled, inProcessFirst, inProcess, inProcessCpu, wrk, wrkCpu, scrapes);
    }

    /// <summary>Scrapes /metrics like Prometheus would; returns how many scrapes succeeded.</summary>
    private static async Task<int> ScrapeEverySecondAsync(ApiUnderTest api, CancellationToken stop)
    {
        var scrapes = 0;
        using var timer = new PeriodicTimer(ScrapeInterval);
        try
        {
            do
            {
                await api.ScrapeAsync(stop);
                scrapes++;
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The measured runs are over.
        }
        return scrapes;
    }

    public static void Render(StringBuilder text, OverheadSettings settings, IReadOnlyList<OverheadRun> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }
        var withWrk = runs.Any(run => run.Wrk is not null);
        text.AppendLine(Invariant($"## Metrics overhead: `/{settings.Path}`, {settings.Connections} connections (closed loop), {settings.Duration.TotalSeconds:0.#} s per measurement"))
            .AppendLine()
            .AppendLine(Invariant($"Each run is a fresh API process with logging at {settings.LogLevel}, warmed up with {settings.WarmUp.TotalSeconds:0.#} s of full load; ")
                + "with metrics on, /metrics is scraped once a second, as Prometheus would; with `Metrics__Enabled=false` there is no exporter and no "
                + "scheduling-delay probe, so the built-in meters have no listener. "
                + Invariant($"The order on, off, off, on ({settings.Rounds} round{(settings.Rounds == 1 ? "" : "s")}) spreads any drift over both settings. ")
                + (withWrk
                    ? "Each process is measured by the in-process generator (HttpClient, in the benchmark's own process) and by wrk, one after the other, "
                        + "which of them goes first alternating from run to run. CPU columns are shares of the whole machine (both cores = 100 %), from /proc."
                    : "wrk is not installed, so only the in-process generator measured (`apt-get install wrk` for the cross-check)."))
            .AppendLine();

        var headers = new List<string> { "run", "metrics", "in-process/s", "p99 ms", "generator CPU", "server CPU", "server µs/req", "others CPU" };
        if (withWrk)
        {
            headers.AddRange(["wrk/s", "wrk p99 ms", "wrk CPU", "server CPU (wrk)", "server µs/req (wrk)", "others CPU (wrk)"]);
        }
        var table = new MarkdownTable(2, [.. headers]);
        foreach (var run in runs)
        {
            var row = new List<string>
            {
                Invariant($"{run.Order}{(withWrk ? (run.InProcessFirst ? " (ip→wrk)" : " (wrk→ip)") : "")}"),
                run.MetricsEnabled ? "on" : "off",
                Invariant($"{run.InProcess.OkPerSecond:0}"),
                Ms(run.InProcess.Latency.P99),
                Share(run.InProcessCpu?.InProcessGenerator),
                Share(run.InProcessCpu?.Server),
                Micros(ServerSecondsPerRequest(run.InProcessCpu, run.InProcess.OkPerSecond)),
                Share(run.InProcessCpu?.Others),
            };
            if (withWrk)
            {
                row.AddRange(run.Wrk is { } wrk
                    ? [Invariant($"{wrk.RequestsPerSecond:0}"), Ms(wrk.P99), Share(run.WrkCpu?.Wrk), Share(run.WrkCpu?.Server),
                        Micros(ServerSecondsPerRequest(run.WrkCpu, wrk.RequestsPerSecond)), Share(run.WrkCpu?.Others)]
                    : ["-", "-", "-", "-", "-", "-"]);
            }
            table.Add([.. row]);
        }
        text.Append(table).AppendLine();

        var summary = new MarkdownTable(1, "generator", "on: mean (min–max) /s", "off: mean (min–max) /s", "off/on", "off/on per round",
            "server µs/req on", "server µs/req off", "CPU on/off", "failed");
        summary.Add(SummaryRow("in-process", runs, run => run.InProcess.OkPerSecond, run => ServerSecondsPerRequest(run.InProcessCpu, run.InProcess.OkPerSecond), run => run.InProcess.Failed));
        if (withWrk)
        {
            summary.Add(SummaryRow("wrk", [.. runs.Where(run => run.Wrk is not null)], run => run.Wrk!.RequestsPerSecond,
                run => ServerSecondsPerRequest(run.WrkCpu, run.Wrk!.RequestsPerSecond), run => run.Wrk!.Errors));
        }
        text.Append(summary).AppendLine();
        text.AppendLine("- **server µs/req**: the API process's CPU time (user + system, from /proc) per answered request; **CPU on/off** is its mean with "
                + "metrics on over its mean with metrics off. It does not depend on how much of the two cores the server was left, but it is not immune "
                + "either: when other processes crowd the cores, each request costs more (context switches, cold caches).")
            .AppendLine("- **off/on**: mean served/s with metrics off over mean with metrics on; above 1 means metrics cost throughput. "
                + "**per round**: the same ratio within each on, off, off, on block, so its spread shows how far one block's answer can be trusted.")
            .AppendLine("- An off/on ratio inside the range of the per-round ratios, or a difference smaller than the min–max spread of one setting, "
                + "is not distinguishable from run-to-run variation on this machine.")
            .AppendLine();
    }

    private static string[] SummaryRow(string name, IReadOnlyList<OverheadRun> runs, Func<OverheadRun, double> rate, Func<OverheadRun, double?> cpuPerRequest,
        Func<OverheadRun, long> failed)
    {
        var cpuOn = runs.Where(run => run.MetricsEnabled).Select(cpuPerRequest).OfType<double>().ToArray();
        var cpuOff = runs.Where(run => !run.MetricsEnabled).Select(cpuPerRequest).OfType<double>().ToArray();
        var on = runs.Where(run => run.MetricsEnabled).Select(rate).ToArray();
        var off = runs.Where(run => !run.MetricsEnabled).Select(rate).ToArray();
        var perRound = runs.Chunk(RoundOrder.Length)
            .Select(block => (On: block.Where(run => run.MetricsEnabled).Select(rate).ToArray(), Off: block.Where(run => !run.MetricsEnabled).Select(rate).ToArray()))
            .Where(block => block.On.Length > 0 && block.Off.Length > 0)
            .Select(block => Invariant($"{block.Off.Average() / block.On.Average():0.00}"));
        return
        [
            name,
            Range(on),
            Range(off),
            on.Length > 0 && off.Length > 0 ? Invariant($"{off.Average() / on.Average():0.00}") : "-",
            string.Join(", ", perRound),
            MicrosRange(cpuOn),
            MicrosRange(cpuOff),
            cpuOn.Length > 0 && cpuOff.Length > 0 ? Invariant($"{cpuOn.Average() / cpuOff.Average():0.00}") : "-",
            Invariant($"{runs.Sum(failed)}"),
        ];
    }

    private static string Range(double[] rates) =>
        rates.Length == 0 ? "-" : Invariant($"{rates.Average():0} ({rates.Min():0}–{rates.Max():0})");

    /// <summary>The server's CPU seconds per answered request: its share of the machine times the cores, over the rate.</summary>
    private static double? ServerSecondsPerRequest(CpuShares? cpu, double requestsPerSecond) =>
        cpu is { } shares && requestsPerSecond > 0 ? shares.Server * Environment.ProcessorCount / requestsPerSecond : null;

    private static string Micros(double? seconds) => seconds is { } value ? Invariant($"{value * 1e6:0.0}") : "n/a";

    private static string MicrosRange(double[] seconds) =>
        seconds.Length == 0 ? "-" : Invariant($"{seconds.Average() * 1e6:0.0} ({seconds.Min() * 1e6:0.0}–{seconds.Max() * 1e6:0.0})");

    private static string Share(double? share) => share is { } value ? Invariant($"{value * 100:0} %") : "n/a";

    private static string Ms(TimeSpan value) =>
        value.TotalMilliseconds < 10 ? Invariant($"{value.TotalMilliseconds:0.0}") : Invariant($"{value.TotalMilliseconds:0}");

    private static void Progress(Stopwatch clock, string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {message}"));

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
