using System.Diagnostics;

namespace Platform.Testing;

/// <summary>What one open-loop run measured.</summary>
/// <param name="TimedOut">Failed requests that got no answer within the client's timeout.</param>
/// <param name="Window">From the first scheduled start to the last completion (arrival period plus drain).</param>
/// <param name="Latency">All requests that got an answer or failed (timeouts included), measured from their scheduled start.</param>
/// <param name="MaxStartLag">How late the generator fired the most delayed request; included in its latency.</param>
/// <param name="Requests">Every request in schedule order, for figures over time (dropped ones have no latency).</param>
public sealed record OpenLoopResult(
    int Offered,
    int Ok,
    int Failed,
    int Dropped,
    int TimedOut,
    TimeSpan Window,
    LatencySummary Latency,
    TimeSpan MaxStartLag,
    string? FirstFailure,
    IReadOnlyList<OpenLoopRequest> Requests)
{
    /// <summary>Successful completions per second over <see cref="Window"/>.</summary>
    public double OkPerSecond => Window > TimeSpan.Zero ? Ok / Window.TotalSeconds : 0;
}

/// <summary>One request of an open-loop run: when it was due (from the run's start), its latency from then, and how it ended.</summary>
public readonly record struct OpenLoopRequest(TimeSpan Due, TimeSpan? Latency, bool Ok);

/// <summary>
/// Arrival-rate load, like k6's constant-arrival-rate executor: request start times are fixed in advance
/// (start + i / rate) and do not wait for earlier responses, so a slow server shows up as latency, not as
/// less offered load. Latency counts from the scheduled start, so a late start is not forgiven
/// (no coordinated omission).
/// </summary>
public sealed class OpenLoopLoad(HttpClient client, int maxInFlight)
{
    // Lets the generator thread get going before the first due time.
    private static readonly long StartLead = Stopwatch.Frequency / 50;

    private enum Outcome : byte
    {
        Dropped,
        Ok,
        Failed,
        TimedOut,
    }

    public async Task<OpenLoopResult> RunAsync(Uri target, int ratePerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        var offered = (int)Math.Round(ratePerSecond * duration.TotalSeconds);
        var run = new Run(offered);
        var start = Stopwatch.GetTimestamp() + StartLead;
        var ticksBetweenStarts = (double)Stopwatch.Frequency / ratePerSecond;
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A dedicated thread: pool threads may be busy with completions, and the schedule must not depend on them.
        var generator = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < offered && !cancellationToken.IsCancellationRequested; i++)
                {
                    var due = start + (long)(i * ticksBetweenStarts);
                    WaitUntil(due);
                    run.NoteStartLag(Stopwatch.GetTimestamp() - due);
                    if (Interlocked.Increment(ref run.InFlight) > maxInFlight)
                    {
                        Interlocked.Decrement(ref run.InFlight);
                        run.Requests[i] = Task.CompletedTask;
                        continue;
                    }

                    run.Requests[i] = SendAsync(target, run, i, due, cancellationToken);
                }

                scheduled.SetResult();
            }
            catch (Exception e)
            {
                scheduled.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };
        generator.Start();

        await scheduled.Task;
        await Task.WhenAll(run.Requests.Where(request => request is not null));
        cancellationToken.ThrowIfCancellationRequested();
        return run.Result(start, duration, ticksBetweenStarts);
    }

    private async Task SendAsync(Uri target, Run run, int index, long due, CancellationToken cancellationToken)
    {
        // Yield at once so the generator thread only queues the request and goes back to its schedule.
        await Task.Yield();
        var outcome = Outcome.Failed;
        try
        {
            using var response = await client.GetAsync(target, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                outcome = Outcome.Ok;
            }
            else
            {
                run.NoteFailure($"HTTP {(int)response.StatusCode}");
            }
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = Outcome.TimedOut;
            run.NoteFailure($"no answer within {client.Timeout.TotalSeconds:0} s (client timeout)");
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            run.NoteFailure(e.Message);
        }
        finally
        {
            var end = Stopwatch.GetTimestamp();
            run.Complete(index, outcome, end - due, end);
            Interlocked.Decrement(ref run.InFlight);
        }
    }

    /// <summary>Sleeps until <paramref name="due"/>, at most ~1 ms late; never spins, as the server shares the two cores.</summary>
    private static void WaitUntil(long due)
    {
        while (true)
        {
            var remainingMilliseconds = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            if (remainingMilliseconds < 0 || (remainingMilliseconds == 0 && Stopwatch.GetTimestamp() >= due))
            {
                return;
            }

            Thread.Sleep((int)Math.Max(1, remainingMilliseconds - 1));
        }
    }

    /// <summary>Per-run state shared by the generator and the request tasks. Each index is written by one task only.</summary>
    private sealed class Run(int offered)
    {
        private readonly Outcome[] _outcomes = new Outcome[offered];
        private readonly long[] _latencies = new long[offered];
        private long _lastCompletion;
        private long _maxStartLag;
        private string? _firstFailure;

        public int InFlight;

        public Task[] Requests { get; } = new Task[offered];

        public void NoteStartLag(long lag)
        {
            if (lag > _maxStartLag)
            {
                _maxStartLag = lag;
            }
        }

        public void NoteFailure(string reason) => Interlocked.CompareExchange(ref _firstFailure, reason, null);

        public void Complete(int index, Outcome outcome, long latency, long completedAt)
        {
            _outcomes[index] = outcome;
            _latencies[index] = latency;
            long last;
            while (completedAt > (last = Interlocked.Read(ref _lastCompletion))
                && Interlocked.CompareExchange(ref _lastCompletion, completedAt, last) != last)
            {
            }
        }

        public OpenLoopResult Result(long start, TimeSpan duration, double ticksBetweenStarts)
        {
            var answered = _outcomes.Select((outcome, index) => (outcome, index)).Where(r => r.outcome != Outcome.Dropped).ToArray();
            var ok = answered.Count(r => r.outcome == Outcome.Ok);
            var window = _lastCompletion > start ? Stopwatch.GetElapsedTime(start, _lastCompletion) : duration;
            return new OpenLoopResult(
                _outcomes.Length,
                ok,
                answered.Length - ok,
                _outcomes.Length - answered.Length,
                answered.Count(r => r.outcome == Outcome.TimedOut),
                window,
                LatencySummary.FromStopwatchTicks([.. answered.Select(r => _latencies[r.index])]),
                TimeSpan.FromSeconds((double)_maxStartLag / Stopwatch.Frequency),
                _firstFailure,
                [.. _outcomes.Select((outcome, index) => new OpenLoopRequest(
                    TimeSpan.FromSeconds(index * ticksBetweenStarts / Stopwatch.Frequency),
                    outcome == Outcome.Dropped ? null : TimeSpan.FromSeconds((double)_latencies[index] / Stopwatch.Frequency),
                    outcome == Outcome.Ok))]);
        }
    }
}
