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
/// so under starvation it would fire late and hide the very delay it should measure.
/// </remarks>
public sealed class SchedulingDelayProbe(PlatformInstruments instruments, IOptions<MetricsOptions> options) : IHostedService, IDisposable
{
    // A starved pool may not run probes for many seconds; this bounds how many can pile up.
    private const int MaxOutstandingProbes = 600;

    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(options.Value.SchedulingDelayProbeIntervalMilliseconds);
    private Thread? _ticker;
    private int _outstanding;
    private long _lastDelayTicks;

    /// <summary>The delay measured by the most recent probe to run.</summary>
    public TimeSpan LastDelay => TimeSpan.FromTicks(Interlocked.Read(ref _lastDelayTicks));

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
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Probe.Record(state.QueuedAt),
                (Probe: this, QueuedAt: Stopwatch.GetTimestamp()), preferLocal: false);
        }
    }

    private void Record(long queuedAt)
    {
        Interlocked.Decrement(ref _outstanding);
        var delay = Stopwatch.GetElapsedTime(queuedAt);
        Interlocked.Exchange(ref _lastDelayTicks, delay.Ticks);
        instruments.SchedulingDelay.Record(delay.TotalSeconds);
    }
}
