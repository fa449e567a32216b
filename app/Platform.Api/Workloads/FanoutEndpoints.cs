using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Workloads;

/// <summary>fanout: N downstream calls, awaited one by one or together. Both are async; only the shape differs.</summary>
internal static class FanoutEndpoints
{
    public const int MaxCalls = 50;

    // Sequential fan-out multiplies the wait; keep a whole request within a minute.
    private const int MaxTotalMilliseconds = 60_000;

    public static IEndpointRouteBuilder MapFanout(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/fanout", Workload.Fanout, Modes.Sequential, Modes.WhenAll);

        group.MapGet("/" + Modes.Sequential, async Task<Results<Ok<FanoutResult>, ValidationProblem>> (string? calls, string? ms, DownstreamClient downstream, CancellationToken aborted) =>
        {
            var (count, wait, problem) = Parse(calls, ms);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                await downstream.CallAsync(wait, aborted);
            }
            return Done(Modes.Sequential, count, wait, started);
        }).AsMode(Workload.Fanout, Modes.Sequential);

        group.MapGet("/" + Modes.WhenAll, async Task<Results<Ok<FanoutResult>, ValidationProblem>> (string? calls, string? ms, DownstreamClient downstream, CancellationToken aborted) =>
        {
            var (count, wait, problem) = Parse(calls, ms);
            if (problem is not null) return problem;
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, count).Select(_ => downstream.CallAsync(wait, aborted)));
            return Done(Modes.WhenAll, count, wait, started);
        }).AsMode(Workload.Fanout, Modes.WhenAll);

        return app;
    }

    private static (int Calls, TimeSpan Wait, ValidationProblem? Problem) Parse(string? calls, string? ms)
    {
        var query = new QueryBounds();
        var count = query.Int("calls", calls, 5, 1, MaxCalls);
        var wait = query.Milliseconds("ms", ms, 50, IoDelayEndpoints.MaxMilliseconds);
        if (query.IsValid && count * wait.TotalMilliseconds > MaxTotalMilliseconds)
        {
            query.Add("calls", $"'calls' x 'ms' must be at most {MaxTotalMilliseconds} ms; got {count} x {wait.TotalMilliseconds} ms.");
        }
        return (count, wait, query.IsValid ? null : query.Problem());
    }

    private static Ok<FanoutResult> Done(string mode, int calls, TimeSpan wait, long started) =>
        TypedResults.Ok(new FanoutResult(Workload.Fanout, mode, calls, wait.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
}

public sealed record FanoutResult(string Workload, string Mode, int Calls, double RequestedMsPerCall, double ElapsedMs);
