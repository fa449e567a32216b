using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Api.Hosting;

namespace Platform.Api.ThreadPoolControl;

internal static class ThreadPoolAdminEndpoints
{
    public const string Policy = "admin";
    public const string Path = "/admin/threadpool";

    public static WebApplicationBuilder AddThreadPoolControl(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ThreadPoolOptions>()
            .BindConfiguration(ThreadPoolOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<AdminOptions>()
            .BindConfiguration(AdminOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminTokenAuthenticationHandler>(AdminTokenAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(AdminTokenAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        builder.Services.AddSingleton<ThreadPoolMinimums>();
        builder.Services.AddHostedService<ThreadPoolStartup>();
        return builder;
    }

    public static IEndpointRouteBuilder MapThreadPoolAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("admin").RequireAuthorization(Policy);
        if (app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Port is { } port)
        {
            admin.WithMetadata(new AdminPortOnly(port));
        }

        admin.MapGet("/threadpool", (ThreadPoolMinimums minimums) => TypedResults.Ok(minimums.Snapshot()));

        admin.MapPut("/threadpool", async Task<Results<Ok<ThreadPoolSnapshot>, ValidationProblem, ProblemHttpResult>> (
            HttpRequest request, ThreadPoolMinimums minimums, CancellationToken aborted) =>
        {
            var (change, bodyProblem) = await JsonBody.ReadAsync<ThreadPoolChange>(request, aborted);
            if (bodyProblem is not null)
            {
                return bodyProblem;
            }
            var result = minimums.Change(change!, request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return result.Outcome switch
            {
                MinThreadsOutcome.Applied => TypedResults.Ok(result.After),
                MinThreadsOutcome.Rejected => TypedResults.ValidationProblem(result.Errors, title: RejectedTitle),
                _ => TypedResults.Problem(RefusedProblem(result.After)),
            };
        });

        return app;
    }

    /// <summary>
    /// With Admin:Port set, /admin answers only connections that arrived on that port; elsewhere it does not
    /// exist (404, as for any unknown path). The port a connection arrived on is a fact of the socket; the
    /// Host header is whatever the client wrote, so it decides nothing here.
    /// </summary>
    public static IApplicationBuilder UseAdminPortIsolation(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<AdminPortOnly>() is { } only && context.Connection.LocalPort != only.Port)
            {
                context.SetEndpoint(null);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });

    public const string RejectedTitle = "Min threads out of bounds.";

    /// <summary>The 409 answer when SetMinThreads returns false; the same on Kestrel and on the control listener.</summary>
    public static ProblemDetails RefusedProblem(ThreadPoolSnapshot after) => new()
    {
        Status = StatusCodes.Status409Conflict,
        Title = "The runtime refused the change.",
        Detail = "ThreadPool.SetMinThreads returned false; min threads may be forced by runtime configuration "
            + "(System.Threading.ThreadPool.MinThreads or DOTNET_ThreadPool_ForceMinWorkerThreads).",
        Extensions = { ["threadPool"] = after },
    };

    /// <summary>Marks the admin endpoints as answering only on one local port.</summary>
    internal sealed record AdminPortOnly(int Port);

    private sealed class ThreadPoolStartup(ThreadPoolMinimums minimums) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            minimums.ApplyStartupSettings();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
