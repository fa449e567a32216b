using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>
/// Runs the API's io/delay modes under open-loop load, one fresh API process per cell, then measures
/// what metrics collection costs. The report (Markdown) goes to stdout and, if asked, a file; progress
/// goes to stderr.
/// </summary>
internal static class Program
{
    public static readonly string[] DelayModes = ["async", "sync", "sync-over-async", "task-run"];

    /// <summary>The wait every io/delay request does; the unit of the Little's-law capacity.</summary>
    public static readonly TimeSpan DelayPerRequest = TimeSpan.FromMilliseconds(100);

    /// <summary>What the operator raises min worker threads to in the "fixed" cell.</summary>
    public const int RaisedMinWorkerThreads = 200;

    // The client shares two cores with the server; its own pool must never be what limits the load.
    private const int ClientMinThreads = 200;
    private const int MaxInFlight = 2_000;
    private const int OverheadConnections = 64;
    private const string OverheadPath = "downstream/delay?ms=0";
    private const int WarmUpRequests = 20;

    /// <summary>How long a control call (/metrics) may take before the server counts as not answering.</summary>
    public static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(3);

    public static async Task<int> Main(string[] args)
    {
        var quick = new Option<bool>("--quick") { Description = "Rates 50,200, 5 s per cell, a 5 s request timeout and shorter metrics runs (about 90 s in all)." };
        var durationSeconds = new Option<int?>("--duration-seconds") { Description = "Seconds of arrivals per io/delay cell (default 10, --quick 5)." };
        durationSeconds.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > 600)
            {
                result.AddError("--duration-seconds must be from 1 to 600.");
            }
        });
        var rates = new Option<int[]?>("--rates")
        {
            Description = "Comma-separated arrival rates per second (default 50,100,200, --quick 50,200).",
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = ParseRates,
        };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var blob = new Option<bool>("--blob")
        {
            Description = "Only the large-value read (/db/blob/{mode}) on SQLite, PostgreSQL and, where SQLSERVER_CONNECTION_STRING is set, "
                + "SQL Server: 256 and 4096 KiB, 1 and 16 clients, 5 s per cell (about 6 minutes).",
        };

        var overheadOnly = new Option<bool>("--overhead-only") { Description = "Only the metrics-overhead comparison, with the --overhead-* settings below." };
        var overheadPath = new Option<string>("--overhead-path")
        {
            Description = $"Endpoint under load in the overhead comparison (default {OverheadPath}).",
            DefaultValueFactory = _ => OverheadPath,
        };
        overheadPath.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value) || value.StartsWith('/') || !Uri.TryCreate(value, UriKind.Relative, out _))
            {
                result.AddError($"--overhead-path must be a relative path such as {OverheadPath} (no leading slash); got '{value}'.");
            }
        });
        var overheadConnections = BoundedInt("--overhead-connections", $"Concurrent connections of both generators (default {OverheadConnections}).", 1, 4_096);
        var overheadSeconds = BoundedInt("--overhead-seconds", "Seconds per measurement (default 5, --quick 2).", 1, 600);
        var overheadWarmUp = BoundedInt("--overhead-warmup-seconds", "Seconds of full load on each fresh process before measuring (default 3, --quick 1; 0 = none).", 0, 600);
        var overheadRounds = BoundedInt("--overhead-rounds", "Rounds of four processes in the order on, off, off, on (default 2, --quick 1).", 1, 20);
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Logging level of the API under test, for Default and Microsoft.AspNetCore, in the overhead comparison (default Warning).",
            DefaultValueFactory = _ => "Warning",
        };
        logLevel.AcceptOnlyFromAmong("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None");
        var noWrk = new Option<bool>("--no-wrk") { Description = "Do not cross-check with wrk even when it is installed." };

        var root = new RootCommand("Open-loop load against Platform.Api on loopback: io/delay modes and metrics overhead.")
        {
            quick, durationSeconds, rates, output, blob,
            overheadOnly, overheadPath, overheadConnections, overheadSeconds, overheadWarmUp, overheadRounds, logLevel, noWrk,
        };
        root.SetAction((parsed, cancellationToken) =>
        {
            var isQuick = parsed.GetValue(quick);
            var settings = new BenchmarkSettings(
                Quick: isQuick,
                CellDuration: TimeSpan.FromSeconds(parsed.GetValue(durationSeconds) ?? (isQuick ? 5 : 10)),
                // An option of array type that was not given reads as an empty array, not null.
                Rates: parsed.GetValue(rates) is { Length: > 0 } given ? given : isQuick ? [50, 200] : [50, 100, 200],
                Overhead: new OverheadSettings(
                    Path: parsed.GetValue(overheadPath)!,
                    Connections: parsed.GetValue(overheadConnections) ?? OverheadConnections,
                    Duration: TimeSpan.FromSeconds(parsed.GetValue(overheadSeconds) ?? (isQuick ? 2 : 5)),
                    WarmUp: TimeSpan.FromSeconds(parsed.GetValue(overheadWarmUp) ?? (isQuick ? 1 : 3)),
                    Rounds: parsed.GetValue(overheadRounds) ?? (isQuick ? 1 : 2),
                    LogLevel: parsed.GetValue(logLevel)!,
                    Wrk: parsed.GetValue(noWrk) ? null : WrkLoad.Find()),
                // Bounds the drain of a collapsed server; --quick trades long tails for a short run.
                RequestTimeout: TimeSpan.FromSeconds(isQuick ? 5 : 30),
                Output: parsed.GetValue(output));
            return parsed.GetValue(blob) ? RunBlobAsync(settings, cancellationToken) : RunAsync(settings, parsed.GetValue(overheadOnly), cancellationToken);
        });
        return await root.Parse(args).InvokeAsync();
    }

    private static Option<int?> BoundedInt(string name, string description, int min, int max)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && (value < min || value > max))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be from {min} to {max}; got {value}."));
            }
        });
        return option;
    }

    private static int[]? ParseRates(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var parsed = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) || rate is < 1 or > 5_000)
            {
                result.AddError($"--rates takes comma-separated integers from 1 to 5000; '{part}' is not one.");
                return null;
            }

            parsed.Add(rate);
        }

        if (parsed.Count == 0)
        {
            result.AddError("--rates needs at least one rate, e.g. 50,100,200.");
            return null;
        }

        return [.. parsed.Distinct().Order()];
    }

    private static async Task<int> RunAsync(BenchmarkSettings settings, bool overheadOnly, CancellationToken cancellationToken)
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        ThreadPool.SetMinThreads(Math.Max(worker, ClientMinThreads), Math.Max(io, ClientMinThreads));

        var clock = Stopwatch.StartNew();
        var cpuAtStart = CpuAccounting.Read();
        var report = new Report(settings, MachineInfo.Capture(), ClientMinThreads, MaxInFlight);
        try
        {
            using var client = LoadClient.Create(settings.RequestTimeout);
            var load = new OpenLoopLoad(client, MaxInFlight);

            if (!overheadOnly)
            {
                foreach (var mode in DelayModes)
                {
                    foreach (var rate in settings.Rates)
                    {
                        report.DelayCells.Add(await RunDelayCellAsync(client, load, mode, rate, raisedMinThreads: null, settings, clock, cancellationToken));
                    }
                }

                report.RaisedCell = await RunDelayCellAsync(client, load, "sync", settings.Rates.Max(), RaisedMinWorkerThreads, settings, clock, cancellationToken);
            }

            report.OverheadRuns.AddRange(await OverheadBenchmark.RunAsync(client, settings.Overhead, clock, cancellationToken));
        }
        catch (ApiStartException e)
        {
            await Console.Error.WriteLineAsync($"error: the API under test could not be started. {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException or OperationCanceledException
            && !cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        Progress(clock, "exporter listener cost (in-process micro-measurement)");
        report.ListenerCost = ListenerCost.Measure();
        report.TotalRuntime = clock.Elapsed;
        var cpuAtEnd = CpuAccounting.Read();
        report.OurCpuShare = CpuAccounting.OursShare(cpuAtStart, cpuAtEnd);
        report.OtherCpuShare = CpuAccounting.OthersShare(cpuAtStart, cpuAtEnd);
        report.LoadAverageAtEnd = MachineInfo.LoadAverage();
        var markdown = report.Render();
        await Console.Out.WriteAsync(markdown);
        if (settings.Output is { } file)
        {
            await File.WriteAllTextAsync(file.FullName, markdown, cancellationToken);
            await Console.Error.WriteLineAsync($"Report written to {file.FullName}");
        }

        return 0;
    }

    private static async Task<int> RunBlobAsync(BenchmarkSettings settings, CancellationToken cancellationToken)
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        ThreadPool.SetMinThreads(Math.Max(worker, ClientMinThreads), Math.Max(io, ClientMinThreads));
        var clock = Stopwatch.StartNew();
        var machine = MachineInfo.Capture();
        string markdown;
        try
        {
            using var client = LoadClient.Create(TimeSpan.FromSeconds(30));
            markdown = await BlobBenchmark.RunAsync(client, [256, BlobSizeMaxKilobytes], [1, 16], TimeSpan.FromSeconds(5), clock, cancellationToken);
        }
        catch (ApiStartException e)
        {
            await Console.Error.WriteLineAsync($"error: the API under test could not be started. {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException or ToolMissingException
            && !cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        markdown = string.Create(CultureInfo.InvariantCulture,
            $"- Machine: {machine.ProcessorCount} logical processors{(machine.CpuModel is { } cpu ? $" ({cpu})" : "")}, {machine.Os}, {machine.DotNet}; load average at start {machine.LoadAverageAtStart ?? "n/a"}, at end {MachineInfo.LoadAverage() ?? "n/a"}; {clock.Elapsed.TotalMinutes:0.0} min.\n\n{markdown}");
        await Console.Out.WriteAsync(markdown);
        if (settings.Output is { } file)
        {
            await File.WriteAllTextAsync(file.FullName, markdown, cancellationToken);
            await Console.Error.WriteLineAsync($"Report written to {file.FullName}");
        }
        return 0;
    }

    /// <summary>The API's bound on kb (BlobSeed.MaxKilobytes); the benchmark runs the API as a process and does not call into it.</summary>
    private const int BlobSizeMaxKilobytes = 4096;

    private static async Task<DelayCell> RunDelayCellAsync(
        HttpClient client, OpenLoopLoad load, string mode, int rate, int? raisedMinThreads,
        BenchmarkSettings settings, Stopwatch clock, CancellationToken cancellationToken)
    {
        Progress(clock, $"io/delay {mode} at {rate}/s{(raisedMinThreads is { } raised ? $", min threads raised to {raised}" : "")}");
        // A fresh process per cell: threads injected during an earlier cell would otherwise carry over.
        await using var api = await ApiUnderTest.StartAsync(metricsEnabled: true, cancellationToken);
        await api.WarmUpAsync(client, [.. Enumerable.Repeat("downstream/delay?ms=0", WarmUpRequests), .. Enumerable.Repeat($"io/delay/{mode}?ms=1", 3)], cancellationToken);
        if (raisedMinThreads is { } minThreads)
        {
            await api.SetMinWorkerThreadsAsync(minThreads, cancellationToken);
        }

        var minWorkerThreads = await api.ReadMetricAsync("platform_thread_pool_min_threads", ("kind", "worker"), ControlTimeout, cancellationToken)
            ?? throw new InvalidOperationException("/metrics has no platform_thread_pool_min_threads{kind=\"worker\"} sample.");
        var cpuBefore = CpuAccounting.Read(api.Pid);
        var result = await load.RunAsync(
            new Uri(api.BaseAddress, $"io/delay/{mode}?ms={(int)DelayPerRequest.TotalMilliseconds}"), rate, settings.CellDuration, cancellationToken);
        var otherCpu = CpuAccounting.OthersShare(cpuBefore, CpuAccounting.Read(api.Pid));
        var osThreadsAtEnd = api.OsThreadCount();
        var threadsAtEnd = await api.ReadMetricAsync("dotnet_thread_pool_thread_count", null, ControlTimeout, cancellationToken);
        Progress(clock, $"  {result.Ok} ok, {result.Failed} failed ({result.TimedOut} timeouts), {result.Dropped} dropped, {result.OkPerSecond:0.#}/s, "
            + $"p99 {result.Latency.P99.TotalMilliseconds:0} ms, pool threads {threadsAtEnd?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}, OS threads {osThreadsAtEnd}");
        return new DelayCell(mode, rate, raisedMinThreads, minWorkerThreads, threadsAtEnd, osThreadsAtEnd, result, otherCpu);
    }

    private static void Progress(Stopwatch clock, string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {message}"));
}

internal sealed record BenchmarkSettings(
    bool Quick,
    TimeSpan CellDuration,
    IReadOnlyList<int> Rates,
    OverheadSettings Overhead,
    TimeSpan RequestTimeout,
    FileInfo? Output);

/// <summary>One io/delay cell: a mode at a rate against a fresh API process.</summary>
/// <param name="MinWorkerThreads">The server's min worker threads when the load began (read from /metrics).</param>
/// <param name="ServerThreadsAtEnd">The server's <c>dotnet_thread_pool_thread_count</c> after the drain; null if /metrics did not answer.</param>
/// <param name="OsThreadsAtEnd">All of the server's OS threads at the same moment, from /proc.</param>
/// <param name="OtherCpuShare">Share of the machine's CPU that other processes used during the load.</param>
internal sealed record DelayCell(
    string Mode, int Rate, int? RaisedMinThreads, double MinWorkerThreads, double? ServerThreadsAtEnd, int? OsThreadsAtEnd, OpenLoopResult Result,
    double? OtherCpuShare)
{
    /// <summary>What a server holding one thread per request can complete per second with its min threads: T / 0.1 s.</summary>
    public double LittlesLawCapacity => MinWorkerThreads / Program.DelayPerRequest.TotalSeconds;

    public double ServedToOffered => Result.OkPerSecond / Rate;

    public double ServedToCapacity => Result.OkPerSecond / LittlesLawCapacity;
}

