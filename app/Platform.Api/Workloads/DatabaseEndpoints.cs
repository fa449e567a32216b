using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Data;

namespace Platform.Api.Workloads;

/// <summary>
/// db: an EF Core read with a real round trip, where the database itself waits first. Each response
/// reports how long a pool thread was blocked: with PostgreSQL the async mode blocks for almost
/// nothing; with SQLite even the async mode blocks for the whole query, and the response says so.
/// </summary>
internal static class DatabaseEndpoints
{
    private const int MaxRows = 100;

    public static IEndpointRouteBuilder MapDatabaseWorkload(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/db", Workload.Database, Modes.Async, Modes.Sync, Modes.SyncOverAsync, Modes.TaskRun);

        group.MapGet("/" + Modes.Async, async Task<Results<Ok<DbResult>, ValidationProblem>> (
            string? ms, string? rows, PlatformDbContext db, IDatabaseDialect dialect, CancellationToken aborted) =>
        {
            var (wait, count, problem) = Parse(ms, rows);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            var pending = dialect.ItemsAfterServerWait(db, wait, count).ToListAsync(aborted);
            // Everything up to here ran on the request thread before the first real await.
            var blocked = Stopwatch.GetElapsedTime(started);
            var completedSynchronously = pending.IsCompleted;
            var items = await pending;
            return Done(Modes.Async, dialect, wait, items.Count, started, blocked, completedSynchronously);
        }).AsMode(Workload.Database, Modes.Async);

        group.MapGet("/" + Modes.Sync, Results<Ok<DbResult>, ValidationProblem> (
            string? ms, string? rows, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            var (wait, count, problem) = Parse(ms, rows);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            var items = dialect.ItemsAfterServerWait(db, wait, count).ToList();
            return Done(Modes.Sync, dialect, wait, items.Count, started, Stopwatch.GetElapsedTime(started), completedSynchronously: true);
        }).AsMode(Workload.Database, Modes.Sync);

        group.MapGet("/" + Modes.SyncOverAsync, Results<Ok<DbResult>, ValidationProblem> (
            string? ms, string? rows, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            var (wait, count, problem) = Parse(ms, rows);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            var items = dialect.ItemsAfterServerWait(db, wait, count).ToListAsync().Result;
            return Done(Modes.SyncOverAsync, dialect, wait, items.Count, started, Stopwatch.GetElapsedTime(started), completedSynchronously: true);
        }).AsMode(Workload.Database, Modes.SyncOverAsync);

        group.MapGet("/" + Modes.TaskRun, async Task<Results<Ok<DbResult>, ValidationProblem>> (
            string? ms, string? rows, PlatformDbContext db, IDatabaseDialect dialect) =>
        {
            var (wait, count, problem) = Parse(ms, rows);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            var items = await Task.Run(() => dialect.ItemsAfterServerWait(db, wait, count).ToList());
            // The request thread was free, but another pool thread was blocked for the whole query.
            return Done(Modes.TaskRun, dialect, wait, items.Count, started, Stopwatch.GetElapsedTime(started), completedSynchronously: false);
        }).AsMode(Workload.Database, Modes.TaskRun);

        app.MapDatabaseBlobWorkload();
        return app;
    }

    private static (TimeSpan Wait, int Rows, ValidationProblem? Problem) Parse(string? ms, string? rows)
    {
        var query = new QueryBounds();
        var wait = query.Milliseconds("ms", ms, 50, IoDelayEndpoints.MaxMilliseconds);
        var count = query.Int("rows", rows, 10, 1, MaxRows);
        return (wait, count, query.IsValid ? null : query.Problem());
    }

    private static Ok<DbResult> Done(string mode, IDatabaseDialect dialect, TimeSpan wait, int rows, long started, TimeSpan blocked, bool completedSynchronously) =>
        TypedResults.Ok(new DbResult(Workload.Database, mode, dialect.Name, wait.TotalMilliseconds, rows,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, blocked.TotalMilliseconds, completedSynchronously));
}

/// <param name="ThreadBlockedMs">How long a pool thread was blocked doing this query.</param>
/// <param name="CompletedSynchronously">True when the query had finished before control returned to the caller.</param>
public sealed record DbResult(
    string Workload, string Mode, string Provider, double RequestedServerWaitMs, int Rows,
    double ElapsedMs, double ThreadBlockedMs, bool CompletedSynchronously);
