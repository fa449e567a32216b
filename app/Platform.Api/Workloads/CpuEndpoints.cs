using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Workloads;

/// <summary>
/// cpu: the workload that only more cores or more pods can help. More threads only add contention,
/// which is why the operator must not answer CPU saturation with higher min threads.
/// </summary>
internal static class CpuEndpoints
{
    public const int MaxIterations = 100_000_000;
    private const int DefaultIterations = 1_000_000;

    public static IEndpointRouteBuilder MapCpuWorkload(this IEndpointRouteBuilder app)
    {
        var group = app.MapWorkload("/cpu", Workload.Cpu, Modes.Sync, Modes.TaskRun);

        group.MapGet("/" + Modes.Sync, Results<Ok<CpuResult>, ValidationProblem> (string? iterations) =>
        {
            var query = new QueryBounds();
            var count = query.Int("iterations", iterations, DefaultIterations, 1, MaxIterations);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var checksum = CpuWork.Run(count);
            return Done(Modes.Sync, count, checksum, started);
        }).AsMode(Workload.Cpu, Modes.Sync);

        group.MapGet("/" + Modes.TaskRun, async Task<Results<Ok<CpuResult>, ValidationProblem>> (string? iterations) =>
        {
            var query = new QueryBounds();
            var count = query.Int("iterations", iterations, DefaultIterations, 1, MaxIterations);
            if (!query.IsValid) return query.Problem();
            var started = Stopwatch.GetTimestamp();
            var checksum = await Task.Run(() => CpuWork.Run(count));
            return Done(Modes.TaskRun, count, checksum, started);
        }).AsMode(Workload.Cpu, Modes.TaskRun);

        return app;
    }

    private static Ok<CpuResult> Done(string mode, int iterations, ulong checksum, long started) =>
        TypedResults.Ok(new CpuResult(Workload.Cpu, mode, iterations, checksum.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
            Stopwatch.GetElapsedTime(started).TotalMilliseconds));
}

public sealed record CpuResult(string Workload, string Mode, int Iterations, string Checksum, double ElapsedMs);
