namespace Platform.Api.Benchmarks;

/// <summary>The one HttpClient all load is sent through.</summary>
internal static class LoadClient
{
    /// <param name="requestTimeout">A request still unanswered after this counts as failed (a timeout).</param>
    public static HttpClient Create(TimeSpan requestTimeout) =>
        new(new SocketsHttpHandler
        {
            // Open-loop load needs one connection per in-flight HTTP/1.1 request; a cap would queue
            // requests in the client and hide the server's queueing.
            MaxConnectionsPerServer = int.MaxValue,
            // Each cell talks to a fresh server on a new port; old pooled connections must not linger.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            Timeout = requestTimeout,
        };
}
