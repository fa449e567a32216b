using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Data;

namespace Platform.Api.Workloads;

/// <summary>
/// db-blob: one large binary value read in each mode, the case where async is not a silver bullet. EF Core
/// materialises the varbinary/bytea/BLOB column as a byte[], as an application would, with each provider's
/// defaults (EF Core reads in the default, non-sequential command behaviour: the whole row is buffered).
/// SqlClient's async read of a value that spans many packets costs far more CPU and time than its sync read;
/// Npgsql's async read does not; SQLite's async read is the sync read. Each response reports, as /db does,
/// how long a thread was blocked and whether the call completed synchronously.
/// </summary>
internal static class DatabaseBlobEndpoints
{
    private const int DefaultKilobytes = 512;

    public static IEndpointRouteBuilder MapDatabaseBlobWorkload(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/db/blob", Workload.DatabaseBlob, Modes.Async, Modes.Sync, Modes.SyncOverAsync, Modes.TaskRun);

        group.MapGet("/" + Modes.Async, async Task<Results<Ok<BlobResult>, ValidationProblem>> (
            string? kb, PlatformDbContext db, IDatabaseDialect dialect, CancellationToken aborted) =>
        {
            if (Parse(kb, out var kilobytes) is { } problem) return problem;
            var started = Stopwatch.GetTimestamp();
            var pending = dialect.BlobPrefix(db, kilobytes * 1024).ToListAsync(aborted);
            // Everything up to here ran on the request thread before the first real await.
            var blocked = Stopwatch.GetElapsedTime(started);
            var completedSynchronously = pending.IsCompleted;
            var rows = await pending;
            return Done(Modes.Async, dialect, kilobytes, rows, started, blocked, completedSynchronously);
        }).AsMode(Workload.DatabaseBlob, Modes.Async);

        group.MapGet("/" + Modes.Sync, Results<Ok<BlobResult>, ValidationProblem> (
            string? kb, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            if (Parse(kb, out var kilobytes) is { } problem) return problem;
            var started = Stopwatch.GetTimestamp();
            var rows = dialect.BlobPrefix(db, kilobytes * 1024).ToList();
            return Done(Modes.Sync, dialect, kilobytes, rows, started, Stopwatch.GetElapsedTime(started), completedSynchronously: true);
        }).AsMode(Workload.DatabaseBlob, Modes.Sync);

        group.MapGet("/" + Modes.SyncOverAsync, Results<Ok<BlobResult>, ValidationProblem> (
            string? kb, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            if (Parse(kb, out var kilobytes) is { } problem) return problem;
            var started = Stopwatch.GetTimestamp();
            var rows = dialect.BlobPrefix(db, kilobytes * 1024).ToListAsync().Result;
            return Done(Modes.SyncOverAsync, dialect, kilobytes, rows, started, Stopwatch.GetElapsedTime(started), completedSynchronously: true);
        }).AsMode(Workload.DatabaseBlob, Modes.SyncOverAsync);

        group.MapGet("/" + Modes.TaskRun, async Task<Results<Ok<BlobResult>, ValidationProblem>> (
            string? kb, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            if (Parse(kb, out var kilobytes) is { } problem) return problem;
            var started = Stopwatch.GetTimestamp();
            var rows = await Task.Run(() => dialect.BlobPrefix(db, kilobytes * 1024).ToList());
            // The request thread was free, but another pool thread was blocked for the whole read.
            return Done(Modes.TaskRun, dialect, kilobytes, rows, started, Stopwatch.GetElapsedTime(started), completedSynchronously: false);
        }).AsMode(Workload.DatabaseBlob, Modes.TaskRun);

        return app;
    }

    private static ValidationProblem? Parse(string? kb, out int kilobytes)
    {
        var query = new QueryBounds();
        kilobytes = query.Int("kb", kb, DefaultKilobytes, 1, BlobSeed.MaxKilobytes);
        return query.IsValid ? null : query.Problem();
    }

    // The seed row always exists once the database is ready; an empty result would be a bug worth a 500.
    private static Ok<BlobResult> Done(string mode, IDatabaseDialect dialect, int kilobytes, List<Blob> rows, long started, TimeSpan blocked, bool completedSynchronously) =>
        TypedResults.Ok(new BlobResult(Workload.DatabaseBlob, mode, dialect.Name, kilobytes, rows.Single().Data.Length,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, blocked.TotalMilliseconds, completedSynchronously));
}

/// <param name="Bytes">The length of the value as read: kb × 1024.</param>
/// <param name="ThreadBlockedMs">How long a pool thread was blocked doing this read.</param>
/// <param name="CompletedSynchronously">True when the read had finished before control returned to the caller.</param>
public sealed record BlobResult(
    string Workload, string Mode, string Provider, int RequestedKb, int Bytes,
    double ElapsedMs, double ThreadBlockedMs, bool CompletedSynchronously);
