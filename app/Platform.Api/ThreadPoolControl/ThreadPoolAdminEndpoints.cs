using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Api.Hosting;

namespace Platform.Api.ThreadPoolControl;

internal static class ThreadPoolAdminEndpoints
{
    public const string Policy = "admin";

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
        builder.Services.AddSingleton<MinThreadsController>();
        builder.Services.AddHostedService<ThreadPoolStartup>();
        return builder;
    }

    public static IEndpointRouteBuilder MapThreadPoolAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("admin").RequireAuthorization(Policy);
        if (app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Port is { } port)
        {
            admin.RequireHost($"*:{port}");
        }

        admin.MapGet("/threadpool", (MinThreadsController controller) => TypedResults.Ok(controller.Snapshot()));

        admin.MapPut("/threadpool", async Task<Results<Ok<ThreadPoolSnapshot>, ValidationProblem, ProblemHttpResult>> (
            HttpRequest request, MinThreadsController controller, CancellationToken aborted) =>
        {
            var (change, bodyProblem) = await JsonBody.ReadAsync<ThreadPoolChange>(request, aborted);
            if (bodyProblem is not null)
            {
                return bodyProblem;
            }
            var result = controller.Change(change!, request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return result.Outcome switch
            {
                MinThreadsOutcome.Applied => TypedResults.Ok(result.After),
                MinThreadsOutcome.Rejected => TypedResults.ValidationProblem(result.Errors, title: "Min threads out of bounds."),
                _ => TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "The runtime refused the change.",
                    detail: "ThreadPool.SetMinThreads returned false; min threads may be forced by runtime configuration "
                        + "(System.Threading.ThreadPool.MinThreads or DOTNET_ThreadPool_ForceMinWorkerThreads).",
                    extensions: new Dictionary<string, object?> { ["threadPool"] = result.After }),
            };
        });

        return app;
    }

    private sealed class ThreadPoolStartup(MinThreadsController controller) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            controller.ApplyStartupSettings();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
