using System.Globalization;
using System.Text;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>Collects the measurements and renders them as Markdown, with one line per figure saying what it means.</summary>
internal sealed class Report(BenchmarkSettings settings, MachineInfo machine, int clientMinThreads, int maxInFlight)
{
    /// <summary>Above this share of the machine's CPU, other processes are named as a possible disturbance.</summary>
    private const double DisturbingCpuShare = 0.05;

    // Why each mode does what it does; the measured numbers are put in front of these.
    private static readonly Dictionary<string, string> ModeExplanations = new(StringComparer.Ordinal)
    {
        ["async"] = "await Task.Delay holds no thread while waiting, so thread count does not limit throughput",
        ["sync"] = "Thread.Sleep holds a pool thread for the whole 100 ms, so throughput is capped at threads ÷ 0.1 s while the pool slowly injects threads",
        ["sync-over-async"] = "Task.Delay().Wait() holds a thread as well; the pool adds threads sooner for a blocking Task wait than for Thread.Sleep, "
            + "but each wait only ends once a pool thread runs the timer callback that completes the delay, so when every thread is waiting, progress depends on new threads",
        ["task-run"] = "await Task.Run(Thread.Sleep) frees the request thread but blocks another pool thread instead: still one thread per request",
    };

    public List<DelayCell> DelayCells { get; } = [];

    public DelayCell? RaisedCell { get; set; }

    public List<OverheadRun> OverheadRuns { get; } = [];

    public ListenerCost? ListenerCost { get; set; }

    public TimeSpan TotalRuntime { get; set; }

    public string? LoadAverageAtEnd { get; set; }

    public double? OurCpuShare { get; set; }

    public double? OtherCpuShare { get; set; }

    public string Render()
    {
        var text = new StringBuilder();
        RenderHeader(text);
        if (DelayCells.Count > 0)
        {
            RenderDelayCells(text);
            RenderRaisedCell(text);
        }
        RenderOverhead(text);
        RenderRunNotes(text);
        return text.ToString();
    }

    private void RenderHeader(StringBuilder text)
    {
        text.AppendLine("# Platform.Api benchmark")
            .AppendLine()
            .AppendLine(Invariant($"- Date: {machine.StartedAt:yyyy-MM-dd HH:mm} UTC{(settings.Quick ? " (--quick)" : "")}"))
            .AppendLine(Invariant($"- Machine: {machine.ProcessorCount} logical processors{(machine.CpuModel is { } cpu ? $" ({cpu})" : "")}, {machine.Os}, {machine.DotNet}."))
            .AppendLine(Invariant($"- The load generator and the API share these {machine.ProcessorCount} cores, so each takes CPU from the other: ")
                + "read the figures as comparisons between modes, not as the capacity of a real server.")
            .AppendLine(Invariant($"- Load average (1 / 5 / 15 min) at start: {machine.LoadAverageAtStart ?? "n/a"}; at end: {LoadAverageAtEnd ?? "n/a"} (the end value includes this benchmark's own load)."))
            .AppendLine(CpuLine())
            .AppendLine();
    }

    private string CpuLine()
    {
        if (OtherCpuShare is not { } others || OurCpuShare is not { } ours)
        {
            return "- CPU used by other processes: unknown (no /proc).";
        }

        return Invariant($"- CPU over the whole run: this benchmark and its API processes {ours:P0} of the machine, other processes (and hypervisor steal) {others:P1}")
            + (others > DisturbingCpuShare
                ? " — enough to disturb the figures; cells where it was above 5 % are listed in the run notes."
                : " — too little to matter.");
    }

    private void RenderDelayCells(StringBuilder text)
    {
        var first = DelayCells.FirstOrDefault();
        var capacity = first is null ? "" : Invariant($"{first.MinWorkerThreads:0} ÷ 0.1 s = {first.LittlesLawCapacity:0}/s");
        text.AppendLine(Invariant($"## io/delay: a 100 ms wait per request, open-loop arrivals for {settings.CellDuration.TotalSeconds:0} s per cell, a fresh API process per cell"))
            .AppendLine()
            .Append(DelayTable(DelayCells))
            .AppendLine()
            .AppendLine("- **served/s**: requests answered 2xx, divided by the time from the first scheduled start to the last completion "
                + "(the arrival window plus the drain of any backlog).")
            .AppendLine("- **p50 … max**: from each request's *scheduled* start to its completion, so time spent queued behind a slow server counts "
                + "(no coordinated omission); over answered and failed requests, dropped ones excluded.")
            .AppendLine(Invariant($"- **failed**: non-2xx, connection error or no answer within {settings.RequestTimeout.TotalSeconds:0} s (the client timeout). ")
                + Invariant($"**dropped**: starts skipped because {maxInFlight} requests were already in flight."))
            .AppendLine("- **threads at end**: the server's `dotnet_thread_pool_thread_count` after the drain; "
                + Invariant($"if /metrics did not answer within {Program.ControlTimeout.TotalSeconds:0} s, \"no answer\" and the process's OS thread count from /proc instead."))
            .AppendLine("- **served/offered**: near 1 means the server kept up with the arrival rate; well below 1 it fell behind, and the backlog shows as latency or timeouts. "
                + Invariant($"A server that keeps up exactly scores {Ideal:0.00} here, not 1.00, because the window also holds the last request's own 100 ms."))
            .AppendLine(Invariant($"- **served/capacity**: served/s against the Little's-law capacity of the pool at start, min worker threads ÷ 0.1 s ({capacity}): ")
                + "what a server can complete per second when every request holds a thread for 100 ms and the pool stays at its minimum. "
                + "Above 1 means the wait holds no thread (async) or the pool grew past its minimum during the run.")
            .AppendLine();

        if (DelayCells.Count == 0)
        {
            return;
        }

        var highest = DelayCells.Max(cell => cell.Rate);
        text.AppendLine(Invariant($"At {highest}/s:"));
        foreach (var cell in DelayCells.Where(cell => cell.Rate == highest))
        {
            text.AppendLine(Invariant($"- **{cell.Mode}**: {cell.Result.OkPerSecond:0.#}/s served of {cell.Rate}/s offered ({cell.ServedToOffered:0.00}), ")
                + Invariant($"p99 {Ms(cell.Result.Latency.P99)} ms, ")
                + ThreadReading(cell)
                + (cell.Result.TimedOut > 0 ? Invariant($"; {cell.Result.TimedOut} of {cell.Result.Offered} requests got no answer within {settings.RequestTimeout.TotalSeconds:0} s") : "")
                + Invariant($". Why: {ModeExplanations.GetValueOrDefault(cell.Mode, "")}."));
        }

        text.AppendLine();
    }

    private static string ThreadReading(DelayCell cell)
    {
        if (cell.ServerThreadsAtEnd is not { } threads)
        {
            return Invariant($"no answer to /metrics after the run ({cell.OsThreadsAtEnd?.ToString(CultureInfo.InvariantCulture) ?? "?"} OS threads)");
        }

        return cell.Mode == "async"
            ? Invariant($"{threads:0} pool threads at the end ({cell.ServedToCapacity:0.0}× the {cell.LittlesLawCapacity:0}/s that {cell.MinWorkerThreads:0} threads could serve if each held a thread)")
            : Invariant($"{threads:0} pool threads at the end (thread-bound ceiling {threads:0} ÷ 0.1 s = {threads / Program.DelayPerRequest.TotalSeconds:0}/s by then, {cell.LittlesLawCapacity:0}/s at start)");
    }

    private void RenderRaisedCell(StringBuilder text)
    {
        if (RaisedCell is not { } raised)
        {
            return;
        }

        text.AppendLine(Invariant($"## The operator's fix: sync at {raised.Rate}/s after `PUT /admin/threadpool {{\"minWorkerThreads\": {raised.RaisedMinThreads}}}`"))
            .AppendLine()
            .Append(DelayTable([raised]))
            .AppendLine();
        if (DelayCells.FirstOrDefault(cell => cell.Mode == raised.Mode && cell.Rate == raised.Rate) is { } before)
        {
            text.AppendLine(Invariant($"- Against the same cell at the default minimum ({before.MinWorkerThreads:0} threads): served/s {before.Result.OkPerSecond:0.#} → {raised.Result.OkPerSecond:0.#}, ")
                + Invariant($"p99 {Ms(before.Result.Latency.P99)} → {Ms(raised.Result.Latency.P99)} ms. With {raised.MinWorkerThreads:0} threads available at once, ")
                + Invariant($"the Little's-law capacity is {raised.LittlesLawCapacity:0}/s, far above the offered rate: the pool creates threads up to that minimum on demand, without the slow injection ")
                + Invariant($"(it needed {Threads(raised)} here). ")
                + "The requests still block a thread each: the fix buys headroom with memory and context switches, it does not remove the blocking.");
        }

        text.AppendLine();
    }

    private MarkdownTable DelayTable(IEnumerable<DelayCell> cells)
    {
        var table = new MarkdownTable(1,
            "mode", "rate/s", "served/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed", "dropped", "threads at end", "served/offered", "served/capacity");
        foreach (var cell in cells)
        {
            var latency = cell.Result.Latency;
            table.Add(
                cell.RaisedMinThreads is { } raised ? Invariant($"{cell.Mode} (min {raised})") : cell.Mode,
                Invariant($"{cell.Rate}"),
                Invariant($"{cell.Result.OkPerSecond:0.0}"),
                Ms(latency.P50),
                Ms(latency.P95),
                Ms(latency.P99),
                Ms(latency.Max),
                Invariant($"{cell.Result.Failed}"),
                Invariant($"{cell.Result.Dropped}"),
                Threads(cell),
                Invariant($"{cell.ServedToOffered:0.00}"),
                Invariant($"{cell.ServedToCapacity:0.00}"));
        }

        return table;
    }

    private void RenderOverhead(StringBuilder text)
    {
        OverheadBenchmark.Render(text, settings.Overhead, OverheadRuns);
        if (ListenerCost is { } cost)
        {
            text.AppendLine(Invariant($"- The exporter's share, measured in this run: one `http.server.request.duration` record with seven labels costs ")
                + Invariant($"{cost.NanosecondsWithoutListener:0.0} ns with no listener and {cost.NanosecondsWithListener:0} ns with the exporter listening ")
                + "(best of five rounds of 2,000,000 records).")
                .AppendLine();
        }
    }

    private void RenderRunNotes(StringBuilder text)
    {
        var allCells = DelayCells.Concat(RaisedCell is null ? [] : [RaisedCell]).ToArray();
        text.AppendLine("## Run notes")
            .AppendLine()
            .AppendLine(Invariant($"- Client: one HttpClient (SocketsHttpHandler, unlimited connections per server), {settings.RequestTimeout.TotalSeconds:0} s request timeout, ")
                + Invariant($"at most {maxInFlight} requests in flight, client ThreadPool min threads raised to {clientMinThreads}; ")
                + "open-loop start times are kept by a dedicated thread that sleeps (never spins) between starts.");
        if (allCells.Length > 0)
        {
            text.AppendLine(Invariant($"- Generator start lag: at most {Ms(allCells.Max(cell => cell.Result.MaxStartLag))} ms behind schedule in any cell (already included in the latencies)."));
        }

        foreach (var cell in allCells.Where(cell => cell.OtherCpuShare > DisturbingCpuShare))
        {
            text.AppendLine(Invariant($"- Other processes used {cell.OtherCpuShare:P0} of the CPU during {cell.Mode} at {cell.Rate}/s{(cell.RaisedMinThreads is null ? "" : " (min threads raised)")}: that cell may be disturbed."));
        }

        foreach (var run in OverheadRuns.Where(run => Math.Max(run.InProcessCpu?.Others ?? 0, run.WrkCpu?.Others ?? 0) > DisturbingCpuShare))
        {
            text.AppendLine(Invariant($"- Other processes used up to {Math.Max(run.InProcessCpu?.Others ?? 0, run.WrkCpu?.Others ?? 0):P0} of the CPU during metrics-overhead run {run.Order}: that run may be disturbed."));
        }

        foreach (var cell in allCells.Where(cell => cell.Result.Failed > 0))
        {
            text.AppendLine(Invariant($"- Failures in {cell.Mode} at {cell.Rate}/s: {cell.Result.Failed}, of which {cell.Result.TimedOut} client timeouts; first: {cell.Result.FirstFailure}."));
        }

        text.AppendLine(Invariant($"- Total runtime: {TotalRuntime.TotalSeconds:0} s."));
    }

    /// <summary>served/offered of a server that answers every request in exactly 100 ms: the window is the arrival period plus one wait.</summary>
    private double Ideal => settings.CellDuration / (settings.CellDuration + Program.DelayPerRequest);

    private static string Threads(DelayCell cell) => (cell.ServerThreadsAtEnd, cell.OsThreadsAtEnd) switch
    {
        ({ } pool, _) => Invariant($"{pool:0}"),
        (null, { } os) => Invariant($"no answer ({os} OS)"),
        _ => "no answer",
    };

    private static string Ms(TimeSpan value) =>
        value.TotalMilliseconds < 10 ? Invariant($"{value.TotalMilliseconds:0.0}") : Invariant($"{value.TotalMilliseconds:0}");

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
