using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Api.Control;

/// <summary>One request as the control server read it: the request line, the headers and a bounded body.</summary>
internal sealed record ControlRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    int LocalPort,
    IPAddress? RemoteAddress)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

/// <summary>What a route answers. The server adds Content-Length, Cache-Control and Connection: close.</summary>
internal sealed record ControlResponse(int Status, string ContentType, byte[] Body, IReadOnlyList<(string Name, string Value)>? Headers = null)
{
    public static ControlResponse Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
}

/// <summary>A path, the methods it accepts, and the handler. HEAD is served wherever GET is, without the body.</summary>
internal sealed record ControlRoute(string Path, IReadOnlyList<string> Methods, Func<ControlRequest, ControlResponse> Handle);

/// <summary>A socket to listen on and the routes served on it.</summary>
internal sealed record ControlBinding(IPEndPoint Endpoint, IReadOnlyList<ControlRoute> Routes);

/// <summary>The bounds that keep one client from starving the others. Every one is explicit and documented.</summary>
/// <param name="MaxConnections">Connections served at once; one more is answered 503 at once and closed.</param>
/// <param name="RequestTimeout">The deadline for a whole request: from accept to the last byte of the answer.</param>
/// <param name="MaxHeaderBytes">Request line and headers together; beyond it 431.</param>
/// <param name="MaxBodyBytes">A request body; beyond it 413.</param>
internal sealed record ControlServerLimits(int MaxConnections, TimeSpan RequestTimeout, int MaxHeaderBytes = 8 * 1024, int MaxBodyBytes = 4 * 1024);

/// <summary>
/// A small HTTP/1.1 server that never uses a thread-pool thread: an accepting thread per socket and a
/// dedicated thread per connection, with blocking socket I/O. It exists because the platform must survive
/// the starvation it demonstrates: Kestrel runs every request on the pool, so when the pool is starved a
/// scrape, a liveness probe or the operator's fix waits behind the very work that starves it. Here they
/// answer in milliseconds. It serves one request per connection (Connection: close), reads at most
/// <see cref="ControlServerLimits.MaxHeaderBytes"/> of headers and <see cref="ControlServerLimits.MaxBodyBytes"/>
/// of body, and gives each connection one deadline for the whole exchange, so a client that trickles bytes
/// holds one of <see cref="ControlServerLimits.MaxConnections"/> slots for that long and no longer.
/// </summary>
internal sealed partial class ControlServer : IDisposable
{
    // Small stacks: a connection thread parses a few kilobytes and renders one answer.
    private const int ConnectionStackBytes = 256 * 1024;
    private static readonly TimeSpan RefusalSendTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LingerTime = TimeSpan.FromMilliseconds(200);

    // Refusals in progress at once; beyond this a connection is closed without an answer.
    private const int MaxRefusing = 16;

    private readonly IReadOnlyList<ControlBinding> _bindings;
    private readonly ControlServerLimits _limits;
    private readonly ILogger _logger;
    private readonly List<(Socket Listener, ControlBinding Binding, Thread Acceptor)> _listeners = [];
    private readonly HashSet<Socket> _open = [];
    private readonly Lock _openGate = new();
    private int _refusing;
    private long _refusedSinceLog;
    private long _lastRefusalLog;
    private volatile bool _stopping;

    public ControlServer(IReadOnlyList<ControlBinding> bindings, ControlServerLimits limits, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxConnections, 1, nameof(limits));
        _bindings = bindings;
        _limits = limits;
        _logger = logger;
    }

    /// <summary>The bound endpoints, in binding order (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => _listeners.Select(l => (IPEndPoint)l.Listener.LocalEndPoint!).ToList();

    /// <summary>Connections being served right now.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_openGate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Binds every socket (a port in use fails here, at start-up) and starts accepting.</summary>
    public void Start()
    {
        foreach (var binding in _bindings)
        {
            var listener = new Socket(binding.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(binding.Endpoint);
                listener.Listen(backlog: 64);
            }
            catch (SocketException ex)
            {
                listener.Dispose();
                Dispose();
                throw new InvalidOperationException($"The control listener could not bind {binding.Endpoint}: {ex.Message}", ex);
            }
            var acceptor = new Thread(() => Accept(listener, binding)) { IsBackground = true, Name = $"control-accept-{binding.Endpoint.Port}" };
            _listeners.Add((listener, binding, acceptor));
        }
        foreach (var (_, _, acceptor) in _listeners)
        {
            acceptor.Start();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var (listener, _, _) in _listeners)
        {
            listener.Dispose();
        }
        foreach (var (_, _, acceptor) in _listeners)
        {
            if (acceptor.IsAlive)
            {
                acceptor.Join(TimeSpan.FromSeconds(2));
            }
        }
        lock (_openGate)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
            _open.Clear();
        }
    }

    private void Accept(Socket listener, ControlBinding binding)
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (_stopping)
                {
                    return;
                }
                continue;
            }

            if (TryAdmit(client))
            {
                StartThread(() => Serve(client, binding), "control-connection", () => Release(client), client);
            }
            else if (Interlocked.Increment(ref _refusing) <= MaxRefusing)
            {
                // Refused on a thread of its own: the answer must be drained politely (see Linger), and the
                // accepting thread must stay free to accept.
                StartThread(() => Refuse(client), "control-refusal", () => Interlocked.Decrement(ref _refusing), client);
            }
            else
            {
                Interlocked.Decrement(ref _refusing);
                client.Dispose();
                CountRefusal();
            }
        }
    }

    private static void StartThread(ThreadStart work, string name, Action undo, Socket client)
    {
        try
        {
            new Thread(work, ConnectionStackBytes) { IsBackground = true, Name = name }.Start();
        }
        catch (OutOfMemoryException)
        {
            // No thread could be created: close at once rather than hold the connection unanswered.
            undo();
            client.Dispose();
        }
    }

    private bool TryAdmit(Socket client)
    {
        lock (_openGate)
        {
            if (_stopping || _open.Count >= _limits.MaxConnections)
            {
                return false;
            }
            _open.Add(client);
            return true;
        }
    }

    private void Release(Socket client)
    {
        lock (_openGate)
        {
            _open.Remove(client);
        }
    }

    private void Refuse(Socket client)
    {
        try
        {
            client.SendTimeout = (int)RefusalSendTimeout.TotalMilliseconds;
            Send(client, ControlResponse.Text(503, $"the control listener is serving its maximum of {_limits.MaxConnections} connections; retry\n"),
                headOnly: false, [("Retry-After", "1")]);
            Linger(client);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _refusing);
        }
        CountRefusal();
    }

    private void CountRefusal()
    {
        var refused = Interlocked.Increment(ref _refusedSinceLog);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastRefusalLog);
        if (Stopwatch.GetElapsedTime(last, now) >= RefusalLogInterval && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
        {
            Interlocked.Add(ref _refusedSinceLog, -refused);
            LogRefused(_logger, refused, _limits.MaxConnections);
        }
    }

    // After an answer sent before the request was read to its end, read what the client still sends for a
    // moment before closing: closing with unread input resets the connection, and the reset can destroy
    // the answer before the client reads it.
    private static void Linger(Socket client)
    {
        var buffer = new byte[4096];
        var until = Stopwatch.GetTimestamp() + (long)(LingerTime.TotalSeconds * Stopwatch.Frequency);
        client.ReceiveTimeout = (int)LingerTime.TotalMilliseconds;
        try
        {
            while (Stopwatch.GetTimestamp() < until && client.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
    }

    private void Serve(Socket client, ControlBinding binding)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_limits.RequestTimeout.TotalSeconds * Stopwatch.Frequency);
        try
        {
            var (request, problem) = Read(client, deadline);
            var response = problem ?? Route(binding, request!);
            SetTimeouts(client, deadline, minimum: TimeSpan.FromMilliseconds(100));
            Send(client, response, headOnly: request?.Method == "HEAD", response.Headers);
            if (problem is not null)
            {
                Linger(client);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The client vanished, or the deadline passed while sending: drop it.
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex);
            TrySend(client, ControlResponse.Text(500, "internal error\n"));
        }
        finally
        {
            Release(client);
            client.Dispose();
        }
    }

    private static ControlResponse Route(ControlBinding binding, ControlRequest request)
    {
        var route = binding.Routes.FirstOrDefault(r => r.Path == request.Path);
        if (route is null)
        {
            return ControlResponse.Text(404, $"not found; this port serves {string.Join(", ", binding.Routes.Select(r => r.Path))}\n");
        }
        var method = request.Method == "HEAD" && route.Methods.Contains("GET") ? "GET" : request.Method;
        if (!route.Methods.Contains(method))
        {
            var allowed = string.Join(", ", route.Methods.Contains("GET") ? route.Methods.Append("HEAD") : route.Methods);
            return ControlResponse.Text(405, $"{request.Method} is not allowed here; use {allowed}\n") with { Headers = [("Allow", allowed)] };
        }
        return route.Handle(request with { Method = method });
    }

    /// <summary>Reads one request within the deadline, or returns the error answer to give instead.</summary>
    private (ControlRequest? Request, ControlResponse? Problem) Read(Socket client, long deadline)
    {
        var input = new Input(client, deadline, _limits.MaxHeaderBytes);
        var timedOut = ControlResponse.Text(408, $"the whole request must arrive within {_limits.RequestTimeout.TotalMilliseconds:0} ms\n");
        var tooLarge = ControlResponse.Text(413, $"the body must be at most {_limits.MaxBodyBytes} bytes\n");

        var head = new List<string>();
        var headBytes = 0;
        while (true)
        {
            var (line, status) = input.ReadLine(_limits.MaxHeaderBytes - headBytes);
            if (line is null)
            {
                return (null, status == 408 ? timedOut : ControlResponse.Text(431, $"request line and headers must fit in {_limits.MaxHeaderBytes} bytes\n"));
            }
            headBytes += line.Length + 2;
            if (line.Length == 0)
            {
                break;
            }
            head.Add(line);
        }

        var requestLine = head.Count == 0 ? [] : head[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length == 0 || !requestLine[1].StartsWith('/') || requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return (null, ControlResponse.Text(400, "bad request line; expected METHOD /path HTTP/1.1\n"));
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t' || line.AsSpan(0, colon).ContainsAny(" \t"))
            {
                return (null, ControlResponse.Text(400, "malformed header line\n"));
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            if (!headers.TryGetValue(name, out var existing))
            {
                headers[name] = value;
            }
            else if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = existing + ", " + value;
            }
            else if (existing != value)
            {
                return (null, ControlResponse.Text(400, "conflicting Content-Length headers\n"));
            }
        }

        var chunked = false;
        var bodyLength = 0;
        if (headers.TryGetValue("Transfer-Encoding", out var transferEncoding))
        {
            // Both framings at once is how requests are smuggled past proxies: refuse it.
            if (headers.ContainsKey("Content-Length"))
            {
                return (null, ControlResponse.Text(400, "Content-Length and Transfer-Encoding together are not accepted\n"));
            }
            if (!transferEncoding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                return (null, ControlResponse.Text(501, "only the chunked transfer coding is accepted\n"));
            }
            chunked = true;
        }
        else if (headers.TryGetValue("Content-Length", out var contentLength)
            && !int.TryParse(contentLength, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bodyLength))
        {
            return (null, ControlResponse.Text(400, "Content-Length must be a non-negative integer\n"));
        }
        if (bodyLength > _limits.MaxBodyBytes)
        {
            return (null, tooLarge);
        }

        if ((chunked || bodyLength > input.Buffered) && headers.TryGetValue("Expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            SetTimeouts(client, deadline, minimum: TimeSpan.FromMilliseconds(1));
            client.Send("HTTP/1.1 100 Continue\r\n\r\n"u8);
        }

        byte[] body;
        if (chunked)
        {
            var (decoded, status) = ReadChunked(input);
            if (decoded is null)
            {
                return (null, status switch { 408 => timedOut, 413 => tooLarge, _ => ControlResponse.Text(400, "malformed chunked body\n") });
            }
            body = decoded;
        }
        else
        {
            body = new byte[bodyLength];
            if (!input.ReadExactly(body))
            {
                return (null, timedOut);
            }
        }

        var path = requestLine[1].Split('?', 2)[0];
        var remote = (client.RemoteEndPoint as IPEndPoint)?.Address;
        var local = ((IPEndPoint)client.LocalEndPoint!).Port;
        return (new ControlRequest(requestLine[0], path, headers, body, local, remote), null);
    }

    /// <summary>A chunked body, bounded by MaxBodyBytes; trailers are read and ignored.</summary>
    private (byte[]? Body, int Status) ReadChunked(Input input)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var (sizeLine, status) = input.ReadLine(64);
            if (sizeLine is null)
            {
                return (null, status == 408 ? 408 : 400);
            }
            var hex = sizeLine.Split(';', 2)[0].Trim();
            if (!int.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 0)
            {
                return (null, 400);
            }
            if (size == 0)
            {
                break;
            }
            if (body.Length + size > _limits.MaxBodyBytes)
            {
                return (null, 413);
            }
            var chunk = new byte[size];
            if (!input.ReadExactly(chunk))
            {
                return (null, 408);
            }
            body.Write(chunk);
            var (end, endStatus) = input.ReadLine(2);
            if (end is not "")
            {
                return (null, end is null && endStatus == 408 ? 408 : 400);
            }
        }
        for (var trailers = 0; ; trailers++)
        {
            var (trailer, status) = input.ReadLine(_limits.MaxHeaderBytes);
            if (trailer is null || trailers > 32)
            {
                return (null, status == 408 ? 408 : 400);
            }
            if (trailer.Length == 0)
            {
                return (body.ToArray(), 200);
            }
        }
    }

    /// <summary>Buffered reads from the socket, every one bounded by the request's deadline.</summary>
    private sealed class Input(Socket client, long deadline, int bufferBytes)
    {
        private readonly byte[] _buffer = new byte[bufferBytes];
        private int _start;
        private int _end;

        public int Buffered => _end - _start;

        /// <summary>A line without its CRLF; null with 408 (deadline or close) or 431 (longer than max).</summary>
        public (string? Line, int Status) ReadLine(int max)
        {
            var searched = 0;
            while (true)
            {
                var crlf = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n"u8);
                if (crlf >= 0)
                {
                    var length = searched + crlf;
                    if (length + 2 > max)
                    {
                        return (null, 431);
                    }
                    var line = Encoding.ASCII.GetString(_buffer, _start, length);
                    _start += length + 2;
                    return (line, 200);
                }
                searched = Math.Max(0, _end - _start - 1);
                if (_end - _start >= max)
                {
                    return (null, 431);
                }
                if (Fill() <= 0)
                {
                    return (null, 408);
                }
            }
        }

        /// <summary>Fills <paramref name="destination"/>; false when the deadline passed or the client closed first.</summary>
        public bool ReadExactly(byte[] destination)
        {
            var filled = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, filled).CopyTo(destination);
            _start += filled;
            while (filled < destination.Length)
            {
                var read = Receive(client, destination, filled, destination.Length - filled, deadline);
                if (read <= 0)
                {
                    return false;
                }
                filled += read;
            }
            return true;
        }

        private int Fill()
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                return -1;
            }
            var read = Receive(client, _buffer, _end, _buffer.Length - _end, deadline);
            if (read > 0)
            {
                _end += read;
            }
            return read;
        }
    }

    /// <summary>Bytes read, 0 when the client closed, -1 when the deadline passed first.</summary>
    private static int Receive(Socket client, byte[] buffer, int offset, int count, long deadline)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            return -1;
        }
        client.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(remaining.TotalMilliseconds));
        try
        {
            return client.Receive(buffer, offset, count, SocketFlags.None);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            return -1;
        }
    }

    private static void SetTimeouts(Socket client, long deadline, TimeSpan minimum)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        client.SendTimeout = (int)Math.Ceiling(Math.Max(remaining.TotalMilliseconds, minimum.TotalMilliseconds));
    }

    private static void TrySend(Socket client, ControlResponse response)
    {
        try
        {
            Send(client, response, headOnly: false, null);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Send(Socket client, ControlResponse response, bool headOnly, IReadOnlyList<(string Name, string Value)>? extraHeaders)
    {
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(ReasonPhrase(response.Status)).Append("\r\n")
            .Append("Content-Type: ").Append(response.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(response.Body.Length).Append("\r\n")
            .Append("Cache-Control: no-store\r\nConnection: close\r\n");
        foreach (var (name, value) in extraHeaders ?? [])
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        client.Send(Encoding.ASCII.GetBytes(head.ToString()));
        if (!headOnly && response.Body.Length > 0)
        {
            client.Send(response.Body);
        }
        client.Shutdown(SocketShutdown.Send);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control listener at capacity ({MaxConnections} connections): refused {Refused} connection(s) with 503")]
    private static partial void LogRefused(ILogger logger, long refused, int maxConnections);

    [LoggerMessage(Level = LogLevel.Error, Message = "A control-listener route failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
