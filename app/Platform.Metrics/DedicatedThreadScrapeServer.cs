using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Metrics;

/// <summary>
/// Serves GET /metrics from a thread of its own, with blocking socket I/O: no thread-pool thread is ever
/// needed. When the pool is starved, Kestrel cannot run a scrape either, so the metrics go missing exactly
/// when they matter most; this endpoint keeps answering. HTTP/1.x, one connection at a time, Connection:
/// close, every read and write bounded by a timeout: it is meant for Prometheus, not for browsers.
/// </summary>
public sealed class DedicatedThreadScrapeServer : IDisposable
{
    private const int MaxRequestBytes = 8 * 1024;
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(5);

    private readonly PrometheusCollector _collector;
    private readonly TcpListener _listener;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public DedicatedThreadScrapeServer(PrometheusCollector collector, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(endpoint);
        _collector = collector;
        _listener = new TcpListener(endpoint);
        _thread = new Thread(Serve) { IsBackground = true, Name = "metrics-scrape" };
    }

    /// <summary>The bound endpoint (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start(backlog: 16);
        _thread.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Stop();
        if (_thread.IsAlive)
        {
            _thread.Join(IoTimeout);
        }
    }

    private void Serve()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.AcceptSocket();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stopping)
                {
                    return;
                }
                continue;
            }
            using (client)
            {
                try
                {
                    Handle(client);
                }
                catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
                {
                    // A client that vanished or stalled: drop it and serve the next.
                }
            }
        }
    }

    private void Handle(Socket client)
    {
        client.ReceiveTimeout = (int)IoTimeout.TotalMilliseconds;
        client.SendTimeout = (int)IoTimeout.TotalMilliseconds;
        var requestLine = ReadRequestLine(client);
        var parts = requestLine?.Split(' ');
        if (parts is not { Length: 3 } || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            Respond(client, "400 Bad Request", "text/plain; charset=utf-8", "bad request\n");
            return;
        }
        var path = parts[1].Split('?', 2)[0];
        if (path != "/metrics")
        {
            Respond(client, "404 Not Found", "text/plain; charset=utf-8", "only /metrics is served here\n");
            return;
        }
        if (parts[0] is not ("GET" or "HEAD"))
        {
            Respond(client, "405 Method Not Allowed", "text/plain; charset=utf-8", "GET only\n");
            return;
        }
        string body;
        try
        {
            body = _collector.Scrape();
        }
        catch (ObjectDisposedException)
        {
            Respond(client, "503 Service Unavailable", "text/plain; charset=utf-8", "shutting down\n");
            return;
        }
        Respond(client, "200 OK", PrometheusTextWriter.ContentType, parts[0] == "HEAD" ? "" : body);
    }

    // Reads until the end of the headers (or the size bound) and returns the first line.
    private static string? ReadRequestLine(Socket client)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = client.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end > 0 ? text[..end] : null;
    }

    private static void Respond(Socket client, string status, string contentType, string body)
    {
        var payload = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        client.Send(head);
        if (payload.Length > 0)
        {
            client.Send(payload);
        }
        client.Shutdown(SocketShutdown.Both);
    }
}
