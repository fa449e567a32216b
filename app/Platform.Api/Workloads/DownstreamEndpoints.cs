using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Workloads;

/// <summary>
/// The dependency side of io/http and fanout: waits without holding a thread, then answers. The same
/// image plays the "downstream" role in the cluster.
/// </summary>
internal static class DownstreamEndpoints
{
    public static IEndpointRouteBuilder MapDownstream(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/downstream").WithTags(Workload.Downstream)
            .MapGet("/delay", async Task<Results<Ok<DownstreamResult>, ValidationProblem>> (string? ms, CancellationToken aborted) =>
            {
                var query = new QueryBounds();
                var wait = query.Milliseconds("ms", ms, 0, IoDelayEndpoints.MaxMilliseconds);
                if (!query.IsValid) return query.Problem();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, aborted);
                }
                return TypedResults.Ok(new DownstreamResult(wait.TotalMilliseconds));
            }).AsMode(Workload.Downstream, Modes.Async);
        return app;
    }
}

public sealed record DownstreamResult(double WaitedMs);
