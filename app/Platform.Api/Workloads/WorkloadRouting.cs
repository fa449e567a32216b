using Microsoft.AspNetCore.Http.Features;
using Platform.Api.Hosting;
using Platform.Api.Telemetry;

namespace Platform.Api.Workloads;

/// <summary>Marks an endpoint as one mode of one workload.</summary>
public sealed record WorkloadMode(string Workload, string Mode);

internal static class WorkloadRouting
{
    /// <summary>
    /// A route group for a workload. Every mode is mapped as a literal route, so the standard
    /// <c>http.route</c> label already tells modes apart with bounded cardinality; any other mode
    /// gets a 404 ProblemDetails that lists the valid ones.
    /// </summary>
    public static RouteGroupBuilder MapWorkload(this IEndpointRouteBuilder app, string prefix, string workload, params string[] modes)
    {
        var group = app.MapGroup(prefix).WithTags(workload);
        var valid = string.Join(", ", modes);
        group.MapGet("/{mode}", (string mode) =>
            TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Unknown mode.",
                detail: $"The {workload} workload has no mode '{(mode.Length <= 32 ? mode : mode[..32] + "…")}'. Valid modes: {valid}.",
                extensions: new Dictionary<string, object?> { ["validModes"] = modes }));
        return group;
    }

    private static string Outcome(HttpContext http) =>
        http.RequestAborted.IsCancellationRequested || http.Response.StatusCode == DependencyFailureExceptionHandler.ClientClosedRequest ? "canceled"
        : http.Response.StatusCode < 400 ? "success"
        : "error";

    /// <summary>
    /// Tags the request's standard HTTP metrics with workload and mode, and counts the request in
    /// <see cref="MetricNames.WorkloadRequests"/> by outcome.
    /// </summary>
    public static RouteHandlerBuilder AsMode(this RouteHandlerBuilder endpoint, string workload, string mode)
    {
        var tag = new WorkloadMode(workload, mode);
        return endpoint
            .WithMetadata(tag)
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (http.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
                {
                    tags.Tags.Add(new("workload", tag.Workload));
                    tags.Tags.Add(new("mode", tag.Mode));
                }
                // Counted from the final status, after error handling has turned exceptions into 4xx/5xx.
                var counter = http.RequestServices.GetRequiredService<PlatformInstruments>().WorkloadRequests;
                http.Response.OnCompleted(() =>
                {
                    counter.Add(1,
                        new KeyValuePair<string, object?>("workload", tag.Workload),
                        new KeyValuePair<string, object?>("mode", tag.Mode),
                        new KeyValuePair<string, object?>("outcome", Outcome(http)));
                    return Task.CompletedTask;
                });
                return await next(context);
            });
    }
}
