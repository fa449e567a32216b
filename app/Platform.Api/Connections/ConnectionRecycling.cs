using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Platform.Api.Telemetry;
using Platform.Api.ThreadPoolControl;

namespace Platform.Api.Connections;

/// <summary>
/// Connection recycling on Kestrel's traffic port. A balancer that balances per connection (kube-proxy, most L4
/// balancers) places a client once, when it connects; a keep-alive client that connected before a scale-out keeps
/// its pod for as long as the connection lives, so new pods get only new clients. Once a connection is older than
/// Connections:MaxAgeSeconds (± 10 %) or has served Connections:MaxRequests, the next response asks the client to
/// reconnect: <c>Connection: close</c> on HTTP/1.x, GOAWAY on HTTP/2, both after the response, so no request is
/// lost and the client's next connect is placed again. This is what gRPC servers do with their max connection age.
/// </summary>
internal static class ConnectionRecycling
{
    public static WebApplicationBuilder AddConnectionRecycling(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectionRecyclingOptions>()
            .BindConfiguration(ConnectionRecyclingOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Every endpoint Kestrel binds (from --urls or ASPNETCORE_URLS too) gets the connection middleware that
        // notes when the connection opened; a request then reads it from the connection's features.
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ConnectionRecyclingOptions>, IOptions<AdminOptions>, TimeProvider>((kestrel, recycling, admin, time) =>
                kestrel.ConfigureEndpointDefaults(listen =>
                {
                    // Read when an endpoint is bound, after the start-up validation: the server (and so these
                    // options) is built before it.
                    var options = recycling.Value;
                    if (!options.Enabled)
                    {
                        return;
                    }
                    var adminPort = admin.Value.Port;
                    listen.Use(next => connection =>
                    {
                        // The admin port (when Kestrel serves it) carries the operator's calls, not traffic to balance.
                        if (connection.LocalEndPoint is not IPEndPoint { Port: var port } || port != adminPort)
                        {
                            connection.Features.Set(RecyclableConnection.Open(options, time, Random.Shared.NextDouble()));
                        }
                        return next(connection);
                    });
                }));
        return builder;
    }

    /// <summary>First in the pipeline, so every response counts, errors and 404s included. Adds nothing when recycling is off.</summary>
    public static WebApplication UseConnectionRecycling(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ConnectionRecyclingOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionRecycling).FullName!);
        if (!options.Enabled)
        {
            return app;
        }
        logger.LogInformation("Connection recycling on the traffic port: max age {MaxAge}, max requests {MaxRequests}.",
            options.MaxAgeSeconds > 0 ? $"{options.MaxAgeSeconds} s ± {ConnectionRecyclingOptions.MaxAgeJitter:P0}" : "off",
            options.MaxRequests > 0 ? options.MaxRequests.ToString(System.Globalization.CultureInfo.InvariantCulture) : "off");

        var time = app.Services.GetRequiredService<TimeProvider>();
        var instruments = app.Services.GetRequiredService<PlatformInstruments>();
        app.Use((context, next) =>
        {
            if (context.Features.Get<RecyclableConnection>()?.OnRequest(time.GetTimestamp()) is { } reason)
            {
                instruments.ConnectionRecycled(reason);
                logger.LogDebug("Recycling connection {ConnectionId}: {Reason}.", context.Connection.Id, reason);
                if (HttpProtocol.IsHttp2(context.Request.Protocol) || HttpProtocol.IsHttp3(context.Request.Protocol))
                {
                    // A GOAWAY: streams in flight finish, the client opens a new connection for the next ones.
                    context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
                }
                else
                {
                    // Set when the headers go out, so an exception handler that clears the response keeps it.
                    context.Response.OnStarting(static state =>
                    {
                        ((HttpResponse)state).Headers.Connection = "close";
                        return Task.CompletedTask;
                    }, context.Response);
                }
            }
            return next(context);
        });
        return app;
    }
}

/// <summary>Why a connection was recycled: the label of <see cref="MetricNames.ConnectionsRecycled"/>.</summary>
public enum RecycleReason
{
    Age,
    Requests,
}

/// <summary>
/// One connection's recycling state, kept in its connection features: when it opened, its own max age (the
/// setting with this connection's jitter) and the requests it has served. HTTP/2 streams of one connection may
/// run at once, hence the interlocked counts.
/// </summary>
internal sealed class RecyclableConnection
{
    private readonly TimeProvider _time;
    private readonly long _openedAt;
    private readonly TimeSpan? _maxAge;
    private readonly int _maxRequests;
    private int _requests;
    private int _recycled;

    private RecyclableConnection(TimeProvider time, long openedAt, TimeSpan? maxAge, int maxRequests)
    {
        _time = time;
        _openedAt = openedAt;
        _maxAge = maxAge;
        _maxRequests = maxRequests;
    }

    public TimeSpan? MaxAge => _maxAge;

    /// <param name="jitterSample">A uniform sample in [0, 1): where this connection's max age lies in the ± jitter band.</param>
    public static RecyclableConnection Open(ConnectionRecyclingOptions options, TimeProvider time, double jitterSample) =>
        new(time, time.GetTimestamp(), MaxAgeOf(options.MaxAgeSeconds, jitterSample), options.MaxRequests);

    /// <summary>The max age of one connection: the setting stretched or shrunk by up to the jitter, evenly spread.</summary>
    public static TimeSpan? MaxAgeOf(int maxAgeSeconds, double jitterSample) =>
        maxAgeSeconds > 0
            ? TimeSpan.FromSeconds(maxAgeSeconds * (1 + ConnectionRecyclingOptions.MaxAgeJitter * (2 * jitterSample - 1)))
            : null;

    /// <summary>
    /// Counts a request arriving at <paramref name="timestamp"/> and says whether its response closes the
    /// connection, and why (age first). Once per connection: later requests in flight on it get null.
    /// </summary>
    public RecycleReason? OnRequest(long timestamp)
    {
        var served = Interlocked.Increment(ref _requests);
        RecycleReason? reason = _maxAge is { } maxAge && _time.GetElapsedTime(_openedAt, timestamp) >= maxAge ? RecycleReason.Age
            : _maxRequests > 0 && served >= _maxRequests ? RecycleReason.Requests
            : null;
        return reason is not null && Interlocked.Exchange(ref _recycled, 1) == 0 ? reason : null;
    }
}
