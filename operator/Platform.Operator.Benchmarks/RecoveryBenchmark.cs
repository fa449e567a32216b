using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Hosting;
using Platform.Operator.Local;
using Platform.Testing;
using static System.FormattableString;

namespace Platform.Operator.Benchmarks;

/// <summary>
/// The operator's figures on real parts: fresh API processes on loopback, the operator in local mode in this
/// process (its min-threads loop reads the API's control port every second), open-loop arrivals like k6's
/// constant-arrival-rate executor. Each burst runs three ways side by side in one run: the runtime alone, the
/// operator, and min threads 200 set beforehand (the best a person could do knowing the load in advance).
/// </summary>
internal static partial class RecoveryBenchmark
{
    private const int MaxInFlight = 12_000;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);

    private enum Control
    {
        RuntimeAlone,
        Operator,
        MinThreads200,
    }

    /// <summary>The benchmark's parts, in the order they run; `--only NAME` runs one.</summary>
    public static readonly string[] Parts = ["bursts", "survival", "slow-clients", "steady", "wrk"];

    public static async Task<int> RunAsync(bool quick, string? only)
    {
        bool Runs(string part) => only is null || only == part;
        var started = Stopwatch.GetTimestamp();
        var burst = TimeSpan.FromSeconds(quick ? 30 : 40);
        var steady = TimeSpan.FromMinutes(quick ? 2 : 10);
        var cancel = CancellationToken.None;
        var machine = Invariant($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load generator, operator and API sharing them");

        Console.WriteLine("# The operator on real processes: recovery from a blocking burst");
        Console.WriteLine();
        Console.WriteLine(Invariant($"{machine}. Each cell is a fresh API process (SQLite, default min threads = {Environment.ProcessorCount}); arrivals are open-loop,"));
        Console.WriteLine("latency counts from each request's scheduled start. The operator runs in local mode with the CRD's defaults (its");
        Console.WriteLine("min-threads loop reads the API's control port every second).");
        Console.WriteLine();

        if (Runs("bursts"))
        {
        var rows = new MarkdownTable(2, "burst", "control", "recovered (s)", "p99 first 5 s (ms)", "p99 after recovery (ms)", "served/offered",
            "peak min threads", "threads at the end", "peak ÷ threads at the end", "first raise (s)");
        foreach (var (rate, waitMs) in new[] { (200, 100), (200, 1000) })
        {
            foreach (var control in Enum.GetValues<Control>())
            {
                var result = await BurstAsync(rate, waitMs, burst, control, cancel);
                rows.Add(
                    Invariant($"{rate}/s x {waitMs} ms"),
                    Describe(control),
                    result.RecoveredAfter is { } r ? Invariant($"{r.TotalSeconds:0}") : Invariant($"never (> {burst.TotalSeconds:0})"),
                    Milliseconds(result.P99FirstSeconds),
                    result.P99AfterRecovery is { } after ? Milliseconds(after) : "-",
                    Invariant($"{result.ServedRatio:0.00}"),
                    Invariant($"{result.PeakMinThreads}"),
                    Invariant($"{result.ThreadsAtEnd}"),
                    control == Control.Operator ? Invariant($"{(double)result.PeakMinThreads / Math.Max(1, result.ThreadsAtEnd):0.00}") : "-",
                    result.FirstRaise is { } raise ? Invariant($"{raise.TotalSeconds:0.0}") : "-");
            }
        }
        Console.WriteLine(Invariant($"Bursts of {burst.TotalSeconds:0} s. Recovered: seconds from the burst's start until every later second's p99 is at most 1.5 × the wait (150 ms for 100 ms)."));
        Console.WriteLine("Threads at the end: the pool's threads in the burst's last second, once surplus threads had 20 s to retire (what the pod really uses).");
        Console.WriteLine("First raise: when the operator first raised min threads, from the burst's start.");
        Console.WriteLine();
        Console.WriteLine(rows);
        }

        if (Runs("survival"))
        {
        Console.WriteLine("## What observes and fixes a starved process: 60 s of 200/s x 500 ms, runtime alone");
        Console.WriteLine();
        var survival = await StarvationSurvivalAsync(cancel);
        var probes = new MarkdownTable(1, "call, every 250 ms", "answers", "slowest (ms)", "p99 (ms)");
        foreach (var (name, latencies) in survival)
        {
            var sorted = latencies.Order().ToList();
            probes.Add(name, Invariant($"{sorted.Count(l => l < TimeSpan.FromSeconds(30))} of {sorted.Count}"),
                Invariant($"{sorted[^1].TotalMilliseconds:0}"), Invariant($"{sorted[(int)Math.Ceiling(0.99 * sorted.Count) - 1].TotalMilliseconds:0}"));
        }
        Console.WriteLine(probes);
        }

        if (Runs("slow-clients"))
        {
        Console.WriteLine("## Scrapes beside 50 slow clients on the control port (each trickles a header byte every 500 ms)");
        Console.WriteLine();
        var (idle, starved) = await SlowClientsAsync(cancel);
        var scrapes = new MarkdownTable(1, "pool", "scrapes", "slowest (ms)");
        scrapes.Add("idle", Invariant($"{idle.Count}"), Invariant($"{idle.Max().TotalMilliseconds:0}"));
        scrapes.Add("starved (200/s x 500 ms)", Invariant($"{starved.Count}"), Invariant($"{starved.Max().TotalMilliseconds:0}"));
        Console.WriteLine(scrapes);
        }

        if (Runs("steady"))
        {
        Console.WriteLine(Invariant($"## Steady mixed load for {steady.TotalMinutes:0} min: does the operator turn round?"));
        Console.WriteLine();
        Console.WriteLine("100/s of /io/delay/sync?ms=50, 100/s of /io/delay/async?ms=100 and 20/s of /cpu/sync (about 2.5 ms of CPU each), open-loop,");
        Console.WriteLine("the operator deciding min threads every second and replicas every 15 s (reported only in local mode).");
        Console.WriteLine();
        var stability = await SteadyAsync(steady, cancel);
        var steadyTable = new MarkdownTable(0, "min-thread changes", "min-thread direction changes", "replica changes", "replica direction changes", "min threads at the end", "p99 (ms)");
        steadyTable.Add(Invariant($"{stability.MinThreadsChanges}"), Invariant($"{stability.MinThreadsDirectionChanges}"),
            Invariant($"{stability.ReplicaChanges}"), Invariant($"{stability.ReplicaDirectionChanges}"), Invariant($"{stability.FinalMinThreads}"),
            Invariant($"{stability.P99.TotalMilliseconds:0}"));
        Console.WriteLine(steadyTable);
        foreach (var change in stability.ReplicaDecisions)
        {
            Console.WriteLine($"- replica decision: {change}");
        }
        Console.WriteLine();
        }

        if (!Runs("wrk"))
        {
        }
        else if (Wrk() is { } wrk)
        {
            Console.WriteLine("## Checked with an outside load generator: wrk, 40 connections for 20 s on /io/delay/sync?ms=100");
            Console.WriteLine();
            var check = new MarkdownTable(1, "control", "requests/s", "p50 (ms)", "p99 (ms)");
            foreach (var control in new[] { Control.RuntimeAlone, Control.Operator })
            {
                var (rate, p50, p99) = await WrkAsync(wrk, control, cancel);
                check.Add(Describe(control), Invariant($"{rate:0}"), Invariant($"{p50:0}"), Invariant($"{p99:0}"));
            }
            Console.WriteLine("wrk keeps 40 requests in flight (a closed loop): 40 threads serve 400/s at 100 ms each.");
            Console.WriteLine();
            Console.WriteLine(check);
        }
        else
        {
            Console.WriteLine("wrk is not installed (Debian package `wrk`): the outside check was skipped.");
            Console.WriteLine();
        }

        Console.WriteLine(Invariant($"Measured in {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min."));
        return 0;
    }

    // A request that got no answer has no latency: TimeSpan.MaxValue stands for it.
    private static string Milliseconds(TimeSpan latency) => latency == TimeSpan.MaxValue ? "no answer" : Invariant($"{latency.TotalMilliseconds:0}");

    private static string Describe(Control control) => control switch
    {
        Control.RuntimeAlone => "runtime alone",
        Control.Operator => "operator",
        _ => "min threads 200 beforehand",
    };

    private sealed record BurstResult(
        TimeSpan? RecoveredAfter,
        TimeSpan P99FirstSeconds,
        TimeSpan? P99AfterRecovery,
        double ServedRatio,
        int PeakMinThreads,
        int ThreadsAtEnd,
        TimeSpan? FirstRaise);

    private static async Task<BurstResult> BurstAsync(int rate, int waitMs, TimeSpan duration, Control control, CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync(Quiet());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (control == Control.MinThreads200)
        {
            using var set = Admin(api, new { minWorkerThreads = 200 });
            (await http.SendAsync(set, cancel)).EnsureSuccessStatusCode();
        }
        await using var operatorHost = control == Control.Operator ? await StartOperatorAsync(api, cancel) : null;

        using var client = LoadClient(TimeSpan.FromSeconds(60));
        var load = new OpenLoopLoad(client, MaxInFlight);
        using var sampling = new CancellationTokenSource();
        var samples = SampleAsync(http, api, sampling.Token);
        var burstStarted = Stopwatch.GetTimestamp();
        var result = await load.RunAsync(new Uri(api.BaseAddress, Invariant($"io/delay/sync?ms={waitMs}")), rate, duration, cancel);
        await sampling.CancelAsync();
        var series = await samples;

        var threshold = TimeSpan.FromMilliseconds(1.5 * waitMs);
        var seconds = PerSecondP99(result, duration);
        var lastBad = seconds.FindLastIndex(p => p > threshold);
        TimeSpan? recovered = lastBad == seconds.Count - 1 ? null : TimeSpan.FromSeconds(lastBad + 1);
        var after = recovered is { } r ? P99(result.Requests.Where(q => q.Due >= r)) : null;
        var burstSamples = series.Where(s => s.At <= duration).ToList();
        var firstRaise = series.FirstOrDefault(s => s.MinThreads > series[0].MinThreads && control == Control.Operator)?.At;
        return new BurstResult(
            recovered,
            P99(result.Requests.Where(q => q.Due < TimeSpan.FromSeconds(5))) ?? TimeSpan.Zero,
            after,
            (double)result.Ok / result.Offered,
            burstSamples.Count > 0 ? burstSamples.Max(s => s.MinThreads) : 0,
            burstSamples.Count > 0 ? burstSamples[^1].Threads : 0,
            firstRaise is { } raised && Stopwatch.GetElapsedTime(burstStarted) > raised ? raised : null);
    }

    /// <summary>The p99 latency of the requests due in each second of the burst; a second where any request got no answer counts as infinitely slow.</summary>
    private static List<TimeSpan> PerSecondP99(OpenLoopResult result, TimeSpan duration) =>
        Enumerable.Range(0, (int)duration.TotalSeconds)
            .Select(second => P99(result.Requests.Where(q => q.Due >= TimeSpan.FromSeconds(second) && q.Due < TimeSpan.FromSeconds(second + 1))) ?? TimeSpan.MaxValue)
            .ToList();

    private static TimeSpan? P99(IEnumerable<OpenLoopRequest> requests)
    {
        var latencies = requests.Select(q => q.Ok && q.Latency is { } l ? l : TimeSpan.MaxValue).Order().ToList();
        return latencies.Count == 0 ? null : latencies[(int)Math.Ceiling(0.99 * latencies.Count) - 1];
    }

    private sealed record PoolSample(TimeSpan At, int MinThreads, int Threads, int Busy);

    /// <summary>The pool as the control port reports it, every second, until cancelled.</summary>
    private static async Task<List<PoolSample>> SampleAsync(HttpClient http, ApiProcess api, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var samples = new List<PoolSample>();
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            do
            {
                var metrics = MetricsText.Parse(await http.GetStringAsync(new Uri(api.ControlBaseAddress, "metrics"), stop));
                double Worker(string name) => metrics.Sum(name, l => l.GetValueOrDefault("kind") == "worker");
                samples.Add(new PoolSample(Stopwatch.GetElapsedTime(started), (int)Worker("platform_thread_pool_min_threads"),
                    (int)(metrics.Single("dotnet_thread_pool_thread_count") ?? 0),
                    (int)(Worker("platform_thread_pool_max_threads") - Worker("platform_thread_pool_available_threads"))));
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException)
        {
        }
        return samples;
    }

    /// <summary>Control port and Kestrel, probed every 250 ms during 60 s of starvation (no operator).</summary>
    private static async Task<List<(string Name, List<TimeSpan> Latencies)>> StarvationSurvivalAsync(CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync(Quiet());
        using var probes = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var client = LoadClient(TimeSpan.FromSeconds(30));
        var calls = new (string Name, Func<HttpRequestMessage> Request)[]
        {
            ("liveness, control port", () => new HttpRequestMessage(HttpMethod.Get, new Uri(api.ControlBaseAddress, "healthz/live"))),
            ("scrape, control port", () => new HttpRequestMessage(HttpMethod.Get, new Uri(api.ControlBaseAddress, "metrics"))),
            ("admin GET, control port", () => Admin(api, null)),
            ("liveness, Kestrel (for contrast)", () => new HttpRequestMessage(HttpMethod.Get, new Uri(api.BaseAddress, "healthz/live"))),
        };
        var latencies = calls.Select(_ => new List<TimeSpan>()).ToArray();
        using var stop = new CancellationTokenSource();
        var probing = Task.WhenAll(calls.Select((call, i) => Task.Run(async () =>
        {
            var pending = new List<Task>();
            while (!stop.IsCancellationRequested)
            {
                pending.Add(Timed(probes, call.Request(), latencies[i]));
                try
                {
                    await Task.Delay(250, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            await Task.WhenAll(pending);
        })));
        var load = new OpenLoopLoad(client, MaxInFlight);
        await load.RunAsync(new Uri(api.BaseAddress, "io/delay/sync?ms=500"), 200, TimeSpan.FromSeconds(60), cancel);
        await stop.CancelAsync();
        await probing;
        return calls.Select((call, i) => (call.Name, latencies[i])).ToList();
    }

    private static async Task Timed(HttpClient client, HttpRequestMessage request, List<TimeSpan> into)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                await response.Content.ReadAsByteArrayAsync();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Counted as its time: a timeout shows as 30 s.
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        lock (into)
        {
            into.Add(elapsed);
        }
    }

    /// <summary>Twenty scrapes beside 50 trickling clients, with the pool idle and then starved.</summary>
    private static async Task<(List<TimeSpan> Idle, List<TimeSpan> Starved)> SlowClientsAsync(CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync(Quiet());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        var slow = Task.WhenAll(Enumerable.Range(0, 50).Select(_ => TrickleAsync(api, stop.Token)));
        await Task.Delay(1000, cancel);
        var idle = await ScrapesAsync(http, api, 20);
        using var client = LoadClient(TimeSpan.FromSeconds(30));
        var burst = new OpenLoopLoad(client, MaxInFlight).RunAsync(new Uri(api.BaseAddress, "io/delay/sync?ms=500"), 200, TimeSpan.FromSeconds(20), cancel);
        await Task.Delay(5000, cancel);
        var starved = await ScrapesAsync(http, api, 20);
        await burst;
        await stop.CancelAsync();
        await slow;
        return (idle, starved);
    }

    private static async Task<List<TimeSpan>> ScrapesAsync(HttpClient http, ApiProcess api, int count)
    {
        var latencies = new List<TimeSpan>();
        for (var i = 0; i < count; i++)
        {
            await Timed(http, new HttpRequestMessage(HttpMethod.Get, new Uri(api.ControlBaseAddress, "metrics")), latencies);
            await Task.Delay(100);
        }
        return latencies;
    }

    /// <summary>A client that never finishes its headers: one byte every 500 ms; reconnects when the server's deadline closes it.</summary>
    private static async Task TrickleAsync(ApiProcess api, CancellationToken stop)
    {
        var request = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Padding: " + new string('x', 4000));
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync("127.0.0.1", api.ControlPort, stop);
                foreach (var b in request)
                {
                    await socket.SendAsync(new[] { b }, stop);
                    await Task.Delay(500, stop);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
            }
        }
    }

    private sealed record Stability(int MinThreadsChanges, int MinThreadsDirectionChanges, int ReplicaChanges, int ReplicaDirectionChanges, int FinalMinThreads, TimeSpan P99,
        IReadOnlyList<string> ReplicaDecisions);

    private static async Task<Stability> SteadyAsync(TimeSpan duration, CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync(Quiet());
        await using var operatorHost = await StartOperatorAsync(api, cancel);
        var autoscaler = operatorHost.Services.GetRequiredService<LocalAutoscaler>();
        using var client = LoadClient(TimeSpan.FromSeconds(30));
        var loads = new[] { ("io/delay/sync?ms=50", 100), ("io/delay/async?ms=100", 100), ("cpu/sync?iterations=1000000", 20) }
            .Select(l => new OpenLoopLoad(client, MaxInFlight).RunAsync(new Uri(api.BaseAddress, l.Item1), l.Item2, duration, cancel)).ToList();
        // The values at the load's start count, so a first raise is a change too.
        var minThreads = autoscaler.Status?.DesiredMinThreads is { } startMin ? new List<int> { startMin } : [];
        var replicas = new List<int> { 1 };
        var replicaChanges = new List<string>();
        var running = Task.WhenAll(loads);
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(1000, cancel));
            if (autoscaler.Status is { } status)
            {
                if (status.DesiredMinThreads is { } desired)
                {
                    minThreads.Add(desired);
                }
                if (status.DesiredReplicas is { } wanted)
                {
                    if (wanted != replicas[^1])
                    {
                        replicaChanges.Add(Invariant($"{status.LastReplicaDecision?.Reason}: {status.LastReplicaDecision?.Message}"));
                    }
                    replicas.Add(wanted);
                }
            }
        }
        var results = await running;
        return new Stability(
            Changes(minThreads), DirectionChanges(minThreads), Changes(replicas), DirectionChanges(replicas),
            minThreads.LastOrDefault(), P99(results.SelectMany(r => r.Requests)) ?? TimeSpan.Zero, replicaChanges);
    }

    private static int Changes(List<int> series) => series.Zip(series.Skip(1)).Count(p => p.First != p.Second);

    private static int DirectionChanges(List<int> series) => Simulation.SimulationResult.DirectionChanges(series);

    private static string? Wrk() =>
        Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists);

    private static async Task<(double Rate, double P50, double P99)> WrkAsync(string wrk, Control control, CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync(Quiet());
        await using var operatorHost = control == Control.Operator ? await StartOperatorAsync(api, cancel) : null;
        var run = await ChildProcess.RunAsync(wrk, ["-t2", "-c40", "-d20s", "--latency", "--timeout", "30s", new Uri(api.BaseAddress, "io/delay/sync?ms=100").ToString()],
            timeout: TimeSpan.FromSeconds(60), cancellationToken: cancel);
        var output = run.Output;
        return (Number(RequestsPerSecond().Match(output)), Milliseconds(Percentile50().Match(output)), Milliseconds(Percentile99().Match(output)));

        static double Number(Match m) => m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;

        static double Milliseconds(Match m) => !m.Success ? double.NaN : m.Groups[2].Value switch
        {
            "us" => Number(m) / 1000,
            "s" => Number(m) * 1000,
            _ => Number(m),
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"\s50%\s+([0-9.]+)(us|ms|s)")]
    private static partial Regex Percentile50();

    [GeneratedRegex(@"\s99%\s+([0-9.]+)(us|ms|s)")]
    private static partial Regex Percentile99();

    /// <summary>The operator in local mode against the API's control listener, its loops started; it has had two readings when this returns.</summary>
    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartOperatorAsync(ApiProcess api, CancellationToken cancel)
    {
        var spec = new ThreadPoolAutoscalerSpec
        {
            TargetRef = new TargetReference { Name = "local" },
            Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "local" } },
        };
        var policy = SpecValidator.Validate(spec).Policy!;
        var settings = OperatorSettings.ForLocal((new LocalOptions([api.ControlBaseAddress], null, spec, ApiProcess.AdminToken), policy),
            Invariant($"http://127.0.0.1:{FreeTcpPort.Next()}"));
        var host = OperatorHost.Build(settings, ["--Logging:LogLevel:Default=Warning"]);
        await host.StartAsync(cancel);
        await Task.Delay(2500, cancel);
        return host;
    }

    private static HttpRequestMessage Admin(ApiProcess api, object? change)
    {
        var request = new HttpRequestMessage(change is null ? HttpMethod.Get : HttpMethod.Put, new Uri(api.ControlBaseAddress, "admin/threadpool"))
        {
            Content = change is null ? null : JsonContent.Create(change),
        };
        request.Headers.Authorization = new("Bearer", ApiProcess.AdminToken);
        return request;
    }

    private static HttpClient LoadClient(TimeSpan timeout) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = timeout };

    /// <summary>Request chatter off: decisions, warnings and errors only, as in the chart.</summary>
    private static Dictionary<string, string> Quiet() => new() { ["Logging__LogLevel__Default"] = "Warning", ["Shutdown__DrainTimeoutSeconds"] = "1" };
}
