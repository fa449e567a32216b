using System.Net;
using System.Net.Sockets;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>
/// A TCP balancer on 127.0.0.1 that chooses a backend once per connection, round robin, as kube-proxy does for a
/// Service: it never looks at HTTP, so every request of a keep-alive connection goes where its connection went.
/// Backends join at run time, as a new pod joins the Service's endpoints once it is Ready.
/// </summary>
public sealed class PerConnectionBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IPEndPoint> _backends = [];
    private readonly Dictionary<IPEndPoint, int> _connections = [];
    private readonly List<Task> _pipes = [];
    private readonly Task _acceptLoop;
    private long _next;

    public PerConnectionBalancer()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public void Add(Uri backend)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(backend.Host), backend.Port);
        lock (_backends)
        {
            _backends.Add(endpoint);
            _connections[endpoint] = 0;
        }
    }

    /// <summary>Connections placed on the backend so far.</summary>
    public int ConnectionsTo(Uri backend)
    {
        lock (_backends)
        {
            return _connections.GetValueOrDefault(new IPEndPoint(IPAddress.Parse(backend.Host), backend.Port));
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            IPEndPoint backend;
            lock (_backends)
            {
                backend = _backends[(int)(_next++ % _backends.Count)];
                _connections[backend]++;
            }
            lock (_pipes)
            {
                _pipes.RemoveAll(p => p.IsCompleted);
                _pipes.Add(PipeAsync(client, backend));
            }
        }
    }

    private async Task PipeAsync(Socket client, IPEndPoint backend)
    {
        using var clientSocket = client;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await server.ConnectAsync(backend, _stop.Token);
            await using var toClient = new NetworkStream(clientSocket, ownsSocket: false);
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            // Either side closing ends the connection, as it would through a real balancer.
            await Task.WhenAny(Copy(toClient, toServer, server), Copy(toServer, toClient, clientSocket));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task Copy(Stream from, Stream to, Socket toSocket)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] pipes;
        lock (_pipes)
        {
            pipes = [.. _pipes];
        }
        await Task.WhenAll(pipes);
        _stop.Dispose();
    }
}
