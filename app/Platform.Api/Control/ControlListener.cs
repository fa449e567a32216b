using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Api.Hosting;
using Platform.Api.ThreadPoolControl;
using Platform.Metrics;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Platform.Api.Control;

/// <summary>
/// The API's routes on the <see cref="ControlServer"/>: what observes or fixes a starved process.
/// <c>/metrics</c> and <c>/healthz/live</c> on Control:Port; <c>/admin/threadpool</c> on Admin:Port
/// (which the control listener then binds too) or, without Admin:Port, on Control:Port. The admin routes
/// validate, authenticate, log and count exactly as Kestrel's do: both go through
/// <see cref="ThreadPoolMinimums"/> and <see cref="AdminToken"/>.
/// </summary>
internal sealed class ControlListener(
    IOptions<ControlOptions> control,
    IOptions<AdminOptions> admin,
    IOptions<HttpJsonOptions> json,
    ThreadPoolMinimums minThreads,
    IServiceProvider services,
    ILogger<ControlListener> logger) : IHostedService, IDisposable
{
    public const string LivePath = "/healthz/live";
    public const string MetricsPath = "/metrics";

    private ControlServer? _server;

    /// <summary>The bound endpoints: Control:Port first, then Admin:Port when it is a separate socket.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => _server?.LocalEndpoints ?? [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = control.Value;
        if (options.Port is not { } port)
        {
            return Task.CompletedTask;
        }
        var address = IPAddress.Parse(options.Address);
        var adminRoute = new ControlRoute(ThreadPoolAdminEndpoints.Path, ["GET", "PUT"], Admin);
        var routes = new List<ControlRoute> { new(LivePath, ["GET"], _ => ControlResponse.Text(200, "Healthy")) };
        if (services.GetService<PrometheusCollector>() is { } collector)
        {
            routes.Add(new ControlRoute(MetricsPath, ["GET"], _ => Metrics(collector)));
        }
        var bindings = new List<ControlBinding>();
        var adminPort = admin.Value.Port;
        if (adminPort is null || adminPort == port)
        {
            routes.Add(adminRoute);
            bindings.Add(new ControlBinding(new IPEndPoint(address, port), routes));
        }
        else
        {
            bindings.Add(new ControlBinding(new IPEndPoint(address, port), routes));
            bindings.Add(new ControlBinding(new IPEndPoint(address, adminPort.Value), [adminRoute]));
        }
        _server = new ControlServer(bindings,
            new ControlServerLimits(options.MaxConnections, TimeSpan.FromMilliseconds(options.RequestTimeoutMilliseconds)), logger);
        _server.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _server?.Dispose();

    private static ControlResponse Metrics(PrometheusCollector collector)
    {
        try
        {
            return new ControlResponse(200, PrometheusCollector.ContentType, System.Text.Encoding.UTF8.GetBytes(collector.Scrape()));
        }
        catch (ObjectDisposedException)
        {
            return ControlResponse.Text(503, "shutting down\n");
        }
    }

    private ControlResponse Admin(ControlRequest request)
    {
        if (!AdminToken.Matches(request.Header("Authorization"), admin.Value.Token))
        {
            return Problem(new ProblemDetails { Status = 401, Title = "Unauthorized", Detail = "A bearer token for /admin is required." })
                with { Headers = [("WWW-Authenticate", AdminToken.Challenge)] };
        }
        if (request.Method == "GET")
        {
            return Json(200, minThreads.Snapshot());
        }

        if (!MediaTypeHeaderValue.TryParse(request.Header("Content-Type"), out var mediaType)
            || !(mediaType.MediaType is "application/json" || mediaType.MediaType?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true))
        {
            return Problem(new ProblemDetails { Status = 415, Title = JsonBody.RejectedTitle, Detail = JsonBody.NotJson });
        }
        var (change, error) = JsonBody.Deserialize<ThreadPoolChange>(request.Body, json.Value.SerializerOptions);
        if (error is not null)
        {
            return Problem(new ProblemDetails { Status = 400, Title = JsonBody.RejectedTitle, Detail = error });
        }
        var result = minThreads.Change(change!, request.RemoteAddress?.ToString() ?? "unknown");
        return result.Outcome switch
        {
            MinThreadsOutcome.Applied => Json(200, result.After),
            MinThreadsOutcome.Rejected => Problem(new HttpValidationProblemDetails(result.Errors)
            {
                Status = 400,
                Title = ThreadPoolAdminEndpoints.RejectedTitle,
            }),
            _ => Problem(ThreadPoolAdminEndpoints.RefusedProblem(result.After)),
        };
    }

    private ControlResponse Json<T>(int status, T value) =>
        new(status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, json.Value.SerializerOptions));

    private ControlResponse Problem(ProblemDetails problem)
    {
        problem.Type ??= ProblemTypes.GetValueOrDefault(problem.Status ?? 500);
        return new ControlResponse(problem.Status ?? 500, "application/problem+json",
            JsonSerializer.SerializeToUtf8Bytes(problem, problem.GetType(), json.Value.SerializerOptions));
    }

    // The RFC 9110 sections ASP.NET Core's ProblemDetails defaults name for these statuses.
    private static readonly Dictionary<int, string> ProblemTypes = new()
    {
        [400] = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        [401] = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        [409] = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        [415] = "https://tools.ietf.org/html/rfc9110#section-15.5.16",
    };
}

internal static class ControlListenerExtensions
{
    public static WebApplicationBuilder AddControlListener(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ControlOptions>()
            .BindConfiguration(ControlOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ControlListener>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ControlListener>());
        return builder;
    }
}
