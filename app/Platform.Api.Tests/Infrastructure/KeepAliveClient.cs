using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>
/// A keep-alive client on one connection at a time (like a k6 VU, or a pool of one): SocketsHttpHandler, whose
/// connect callback counts the connections it opens and notes when the current one began connecting.
/// </summary>
public sealed class KeepAliveClient : IDisposable
{
    private int _connections;
    private long _connectStarted;

    public KeepAliveClient(Uri baseAddress, Version? version = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                Volatile.Write(ref _connectStarted, Stopwatch.GetTimestamp());
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                Interlocked.Increment(ref _connections);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        Http = new HttpClient(handler)
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public HttpClient Http { get; }

    /// <summary>Connections opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Time since the current connection began connecting: never less than the server's own count of the
    /// connection's age, which starts once it has accepted.
    /// </summary>
    public TimeSpan CurrentConnectionAge => Stopwatch.GetElapsedTime(Volatile.Read(ref _connectStarted));

    public void Dispose() => Http.Dispose();
}
