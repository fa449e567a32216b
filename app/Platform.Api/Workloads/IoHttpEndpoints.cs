using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Workloads;

/// <summary>io/http: a real outbound HTTP call to the downstream dependency, awaited or blocked on.</summary>
internal static class IoHttpEndpoints
{
    private const int DefaultMilliseconds = 100;

    public static IEndpointRouteBuilder MapIoHttp(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/io/http", Workload.IoHttp, Modes.Async, Modes.Sync, Modes.SyncOverAsync, Modes.TaskRun);

        group.MapGet("/" + Modes.Async, async Task<Results<Ok<HttpCallResult>, ValidationProblem>> (string? ms, DownstreamClient downstream, CancellationToken aborted) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, IoDelayEndpoints.MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var status = await downstream.CallAsync(wait, aborted);
            return Done(Modes.Async, wait, status, started);
        }).AsMode(Workload.IoHttp, Modes.Async);

        group.MapGet("/" + Modes.Sync, Results<Ok<HttpCallResult>, ValidationProblem> (string? ms, DownstreamClient downstream) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, IoDelayEndpoints.MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var status = downstream.CallBlocking(wait);
            return Done(Modes.Sync, wait, status, started);
        }).AsMode(Workload.IoHttp, Modes.Sync);

        group.MapGet("/" + Modes.SyncOverAsync, Results<Ok<HttpCallResult>, ValidationProblem> (string? ms, DownstreamClient downstream) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, IoDelayEndpoints.MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var status = downstream.CallSyncOverAsync(wait);
            return Done(Modes.SyncOverAsync, wait, status, started);
        }).AsMode(Workload.IoHttp, Modes.SyncOverAsync);

        group.MapGet("/" + Modes.TaskRun, async Task<Results<Ok<HttpCallResult>, ValidationProblem>> (string? ms, DownstreamClient downstream) =>
        {
            var query = new QueryBounds();
            var wait = query.Milliseconds("ms", ms, DefaultMilliseconds, IoDelayEndpoints.MaxMilliseconds);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var status = await Task.Run(() => downstream.CallBlocking(wait));
            return Done(Modes.TaskRun, wait, status, started);
        }).AsMode(Workload.IoHttp, Modes.TaskRun);

        return app;
    }

    private static Ok<HttpCallResult> Done(string mode, TimeSpan wait, int status, long started) =>
        TypedResults.Ok(new HttpCallResult(Workload.IoHttp, mode, wait.TotalMilliseconds, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
}

public sealed record HttpCallResult(string Workload, string Mode, double RequestedMs, int DownstreamStatus, double ElapsedMs);
