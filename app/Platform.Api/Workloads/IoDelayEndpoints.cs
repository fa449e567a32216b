using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Workloads;

/// <summary>
/// io/delay: a simulated I/O wait, the purest way to see what blocking costs. The same wait is done as
/// await Task.Delay, Thread.Sleep, Task.Delay(..).Wait() and await Task.Run(Thread.Sleep).
/// </summary>
internal static class IoDelayEndpoints
{
    public const int MaxMilliseconds = 30_000;
    private const int DefaultMilliseconds = 100;

    public static IEndpointRouteBuilder MapIoDelay(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/io/delay", Workload.IoDelay, Modes.Async, Modes.Sync, Modes.SyncOverAsync, Modes.TaskRun);

        group.MapGet("/" + Modes.Async, async Task<Results<Ok<DelayResult>, ValidationProblem>> (string? ms, CancellationToken aborted) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(wait, aborted);
            return Done(Modes.Async, wait, started);
        }).AsMode(Workload.IoDelay, Modes.Async);

        group.MapGet("/" + Modes.Sync, Results<Ok<DelayResult>, ValidationProblem> (string? ms) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            Thread.Sleep(wait);
            return Done(Modes.Sync, wait, started);
        }).AsMode(Workload.IoDelay, Modes.Sync);

        group.MapGet("/" + Modes.SyncOverAsync, Results<Ok<DelayResult>, ValidationProblem> (string? ms) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            // Deliberately without the abort token: this is how such code is usually written.
            Task.Delay(wait).Wait();
            return Done(Modes.SyncOverAsync, wait, started);
        }).AsMode(Workload.IoDelay, Modes.SyncOverAsync);

        group.MapGet("/" + Modes.TaskRun, async Task<Results<Ok<DelayResult>, ValidationProblem>> (string? ms) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            await Task.Run(() => Thread.Sleep(wait));
            return Done(Modes.TaskRun, wait, started);
        }).AsMode(Workload.IoDelay, Modes.TaskRun);

        return app;
    }

    private static Ok<DelayResult> Done(string mode, TimeSpan wait, long started) =>
        TypedResults.Ok(new DelayResult(Workload.IoDelay, mode, wait.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
}

public sealed record DelayResult(string Workload, string Mode, double RequestedMs, double ElapsedMs);
