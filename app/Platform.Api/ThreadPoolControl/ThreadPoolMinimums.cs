using Microsoft.Extensions.Options;
using Platform.Api.Telemetry;

namespace Platform.Api.ThreadPoolControl;

public enum MinThreadsOutcome
{
    /// <summary>The runtime accepted the change.</summary>
    Applied,

    /// <summary>The request was out of bounds; nothing was changed.</summary>
    Rejected,

    /// <summary>SetMinThreads returned false, e.g. because runtime configuration forces min threads.</summary>
    Refused,
}

public sealed record MinThreadsResult(MinThreadsOutcome Outcome, IReadOnlyDictionary<string, string[]> Errors, ThreadPoolSnapshot Before, ThreadPoolSnapshot After);

/// <summary>
/// The one place that changes ThreadPool minimums: validates against the runtime's max and the
/// configured cap, applies, reads back what the runtime really holds, logs and counts every attempt.
/// </summary>
public sealed partial class ThreadPoolMinimums(
    IOptions<ThreadPoolOptions> options,
    SchedulingDelayProbe probe,
    PlatformInstruments instruments,
    ILogger<ThreadPoolMinimums> logger)
{
    private readonly Lock _gate = new();

    public ThreadPoolSnapshot Snapshot() => ThreadPoolSnapshot.Capture(options.Value.MinThreadsCap, probe.LastDelay);

    public MinThreadsResult Change(ThreadPoolChange change, string requestedBy)
    {
        // Serialised so that concurrent changes cannot interleave read-modify-write of the two values.
        lock (_gate)
        {
            var before = Snapshot();
            var errors = Validate(change, before);
            if (errors.Count > 0)
            {
                Count(MinThreadsOutcome.Rejected);
                LogRejected(logger, change.MinWorkerThreads, change.MinIoThreads, requestedBy, string.Join(" ", errors.Values.SelectMany(e => e)));
                return new MinThreadsResult(MinThreadsOutcome.Rejected, errors, before, before);
            }

            var worker = change.MinWorkerThreads ?? before.MinWorkerThreads;
            var io = change.MinIoThreads ?? before.MinIoThreads;
            var accepted = ThreadPool.SetMinThreads(worker, io);
            var after = Snapshot();
            var outcome = accepted ? MinThreadsOutcome.Applied : MinThreadsOutcome.Refused;
            Count(outcome);
            LogChange(logger, outcome, before.MinWorkerThreads, before.MinIoThreads, worker, io, after.MinWorkerThreads, after.MinIoThreads, requestedBy);
            return new MinThreadsResult(outcome, new Dictionary<string, string[]>(), before, after);
        }
    }

    /// <summary>Applies the start-up settings, if any; a refusal is logged, not fatal.</summary>
    public void ApplyStartupSettings()
    {
        var configured = options.Value;
        if (configured.MinWorkerThreads is not null || configured.MinIoThreads is not null)
        {
            Change(new ThreadPoolChange(configured.MinWorkerThreads, configured.MinIoThreads), "configuration");
        }
    }

    private Dictionary<string, string[]> Validate(ThreadPoolChange change, ThreadPoolSnapshot current)
    {
        var errors = new Dictionary<string, string[]>();
        if (change.MinWorkerThreads is null && change.MinIoThreads is null)
        {
            errors["body"] = ["Give minWorkerThreads, minIoThreads or both."];
        }
        Check("minWorkerThreads", change.MinWorkerThreads, current.MaxWorkerThreads);
        Check("minIoThreads", change.MinIoThreads, current.MaxIoThreads);
        return errors;

        void Check(string name, int? value, int runtimeMax)
        {
            var cap = Math.Min(runtimeMax, options.Value.MinThreadsCap);
            if (value is { } v && (v < 1 || v > cap))
            {
                errors[name] = [$"'{name}' must be from 1 to {cap} (the lower of the pool's max threads, {runtimeMax}, and the configured cap, {options.Value.MinThreadsCap}); got {v}."];
            }
        }
    }

    private void Count(MinThreadsOutcome outcome) =>
        instruments.AdminChanges.Add(1, new KeyValuePair<string, object?>("result", outcome.ToString().ToLowerInvariant()));

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Min threads {Outcome}: worker {OldWorker} -> {RequestedWorker} (now {NewWorker}), io {OldIo} -> {RequestedIo} (now {NewIo}), requested by {RequestedBy}")]
    private static partial void LogChange(ILogger logger, MinThreadsOutcome outcome, int oldWorker, int oldIo, int requestedWorker, int requestedIo, int newWorker, int newIo, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Min threads change rejected (worker {Worker}, io {Io}) requested by {RequestedBy}: {Reason}")]
    private static partial void LogRejected(ILogger logger, int? worker, int? io, string requestedBy, string reason);
}
