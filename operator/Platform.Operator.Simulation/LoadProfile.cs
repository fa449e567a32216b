namespace Platform.Operator.Simulation;

/// <summary>
/// What one request does on a pool thread: first it blocks (holds the thread, uses no CPU: Thread.Sleep,
/// synchronous I/O), then it computes (holds the thread and needs CPU time, shared when more threads
/// run than there are cores).
/// </summary>
internal sealed record RequestShape(TimeSpan Blocking, TimeSpan Cpu)
{
    public static RequestShape BlockingFor(TimeSpan blocking) => new(blocking, TimeSpan.Zero);

    public static RequestShape CpuFor(TimeSpan cpu) => new(TimeSpan.Zero, cpu);
}

/// <summary>Requests arriving from <see cref="Start"/> to <see cref="End"/>, the rate moving linearly from one value to the other.</summary>
internal sealed record LoadSegment(TimeSpan Start, TimeSpan End, double StartRatePerSecond, double EndRatePerSecond, RequestShape Shape)
{
    public static LoadSegment Constant(TimeSpan start, TimeSpan end, double ratePerSecond, RequestShape shape) =>
        new(start, end, ratePerSecond, ratePerSecond, shape);

    public double RateAt(TimeSpan time) =>
        time < Start || time >= End
            ? 0
            : StartRatePerSecond + ((EndRatePerSecond - StartRatePerSecond) * (time - Start).TotalSeconds / (End - Start).TotalSeconds);
}

internal enum ArrivalProcess
{
    /// <summary>Evenly spaced: exactly the rate, no noise.</summary>
    Deterministic,

    /// <summary>A seeded Poisson process: the noise real traffic has, reproducibly.</summary>
    Poisson,
}

/// <summary>When the metrics pipeline fails, and how it looks to the operator.</summary>
internal sealed record SignalOutage(TimeSpan Start, TimeSpan End, SignalOutageKind Kind);

internal enum SignalOutageKind
{
    /// <summary>Queries return nothing: every pod's sample is absent.</summary>
    Missing,

    /// <summary>Queries keep returning the last samples with their old timestamps (a stuck scrape).</summary>
    Frozen,
}
