using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Platform.Api.Hosting;

/// <summary>
/// Turns failures of the things a workload depends on (downstream HTTP, the database) into
/// 502/503/504 ProblemDetails, and a client that went away into a quiet 499, instead of a bare 500.
/// </summary>
internal sealed partial class DependencyFailureExceptionHandler(
    IProblemDetailsService problemDetails,
    ILogger<DependencyFailureExceptionHandler> logger) : IExceptionHandler
{
    public const int ClientClosedRequest = 499;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // Nobody is listening; record it for the metrics and move on.
            httpContext.Response.StatusCode = ClientClosedRequest;
            return true;
        }

        var (status, title) = Unwrap(exception) switch
        {
            HttpRequestException => (StatusCodes.Status502BadGateway, "The downstream dependency failed."),
            TimeoutException or TaskCanceledException => (StatusCodes.Status504GatewayTimeout, "A dependency timed out."),
            DbException => (StatusCodes.Status503ServiceUnavailable, "The database is unavailable."),
            InvalidOperationException { Source: "Npgsql" } => (StatusCodes.Status503ServiceUnavailable, "The database connection pool is exhausted."),
            _ => (0, ""),
        };
        if (status == 0)
        {
            return false;
        }

        LogDependencyFailure(logger, status, httpContext.Request.Path, exception);
        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = Unwrap(exception).Message },
        });
    }

    // sync-over-async modes surface failures wrapped in AggregateException.
    private static Exception Unwrap(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : exception;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dependency failure answered with {Status} for {Path}")]
    private static partial void LogDependencyFailure(ILogger logger, int status, PathString path, Exception exception);
}
