using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Platform.Api.Telemetry;

/// <summary>
/// The most direct starvation signal: every interval, queue a work item to the thread pool's global
/// queue and record how long it waited before a worker picked it up. Healthy pools answer in
/// microseconds; a starved pool answers in seconds.
/// </summary>
/// <remarks>
/// The ticks come from a dedicated thread, not a pool timer: a timer callback itself runs on the pool,
/// so under starvation it would fire late and hide the very delay it should measure. The histogram only
/// learns a delay once the probe has run; <see cref="CurrentDelay"/> also counts the probes still waiting,
/// so it rises while nothing runs at all.
/// </remarks>
public sealed class SchedulingDelayProbe : IHostedService, IDisposable
{
    // A starved pool may not run probes for many seconds; this bounds how many can pile up.
    private const int MaxOutstandingProbes = 600;

    private readonly CancellationTokenSource _stopping = new();
    private readonly PlatformInstruments _instruments;
    private readonly TimeSpan _interval;
    // When each probe was queued, by sequence number; the pool's global queue is FIFO, so the oldest
    // probe still waiting is (nearly always) the one after the last that ran.
    private readonly long[] _queuedAt = new long[MaxOutstandingProbes + 1];
    private Thread? _ticker;
    private int _outstanding;
    private long _queued;
    private long _ran;
    private long _lastDelayTicks;

    public SchedulingDelayProbe(PlatformInstruments instruments, IOptions<MetricsOptions> options)
    {
        _instruments = instruments;
        _interval = TimeSpan.FromMilliseconds(options.Value.SchedulingDelayProbeIntervalMilliseconds);
        instruments.Meter.CreateObservableGauge(MetricNames.SchedulingDelayCurrent, () => CurrentDelay.TotalSeconds, "s",
            "The scheduling delay now: how long the oldest probe still waiting has waited (or, when none waits, the last probe's delay).");
    }

    /// <summary>The delay measured by the most recent probe to run.</summary>
    public TimeSpan LastDelay => TimeSpan.FromTicks(Interlocked.Read(ref _lastDelayTicks));

    /// <summary>
    /// The scheduling delay now: how long the oldest probe still waiting has waited, or, when none waits,
    /// the delay of the last probe that ran.
    /// </summary>
    public TimeSpan CurrentDelay
    {
        get
        {
            var ran = Interlocked.Read(ref _ran);
            if (ran < Interlocked.Read(ref _queued))
            {
                var waiting = Stopwatch.GetElapsedTime(Volatile.Read(ref _queuedAt[ran % _queuedAt.Length]));
                return waiting > LastDelay ? waiting : LastDelay;
            }
            return LastDelay;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ticker = new Thread(Tick) { IsBackground = true, Name = "scheduling-delay-probe" };
        _ticker.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _ticker?.Join(TimeSpan.FromSeconds(2));
        return Task.CompletedTask;
    }

    public void Dispose() => _stopping.Dispose();

    private void Tick()
    {
        var stop = _stopping.Token.WaitHandle;
        while (!stop.WaitOne(_interval))
        {
            if (Interlocked.Increment(ref _outstanding) > MaxOutstandingProbes)
            {
                Interlocked.Decrement(ref _outstanding);
                continue;
            }
            var queuedAt = Stopwatch.GetTimestamp();
            Volatile.Write(ref _queuedAt[_queued % _queuedAt.Length], queuedAt);
            Interlocked.Increment(ref _queued);
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Probe.Record(state.QueuedAt),
                (Probe: this, QueuedAt: queuedAt), preferLocal: false);
        }
    }

    private void Record(long queuedAt)
    {
        Interlocked.Decrement(ref _outstanding);
        Interlocked.Increment(ref _ran);
        var delay = Stopwatch.GetElapsedTime(queuedAt);
        Interlocked.Exchange(ref _lastDelayTicks, delay.Ticks);
        _instruments.SchedulingDelay.Record(delay.TotalSeconds);
    }
}
