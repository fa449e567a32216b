using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Api.Control;

namespace Platform.Api.Tests;

/// <summary>
/// The off-pool HTTP server on its own: routing, every bound (connections, deadline, header and body
/// sizes) and that slow clients cannot hold up the rest. Raw sockets play the misbehaving clients.
/// </summary>
public sealed class ControlServerTests
{
    private static ControlServer Start(ControlServerLimits? limits = null, Func<ControlRequest, ControlResponse>? echo = null)
    {
        var routes = new List<ControlRoute>
        {
            new("/metrics", ["GET"], _ => ControlResponse.Text(200, "up 1\n")),
            new("/echo", ["PUT"], echo ?? (r => ControlResponse.Text(200, $"{r.Method} {r.LocalPort} {Encoding.UTF8.GetString(r.Body)}"))),
        };
        var server = new ControlServer([new ControlBinding(new IPEndPoint(IPAddress.Loopback, 0), routes)],
            limits ?? new ControlServerLimits(MaxConnections: 64, RequestTimeout: TimeSpan.FromSeconds(2)), NullLogger.Instance);
        server.Start();
        return server;
    }

    private static HttpClient Client(ControlServer server) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{server.LocalEndpoints[0].Port}/"), Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task It_serves_its_routes_and_names_them_for_an_unknown_path()
    {
        using var server = Start();
        using var client = Client(server);
        var cancel = TestContext.Current.CancellationToken;

        var metrics = await client.GetAsync("metrics?ignored=query", cancel);
        var unknown = await client.GetAsync("nope", cancel);
        var echo = await client.PutAsync("echo", new StringContent("hello"), cancel);

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("up 1\n", await metrics.Content.ReadAsStringAsync(cancel));
        Assert.Equal("no-store", metrics.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("/metrics, /echo", await unknown.Content.ReadAsStringAsync(cancel));
        Assert.Equal($"PUT {server.LocalEndpoints[0].Port} hello", await echo.Content.ReadAsStringAsync(cancel));
    }

    [Fact]
    public async Task A_wrong_method_is_405_with_the_allowed_ones_and_head_has_no_body()
    {
        using var server = Start();
        using var client = Client(server);
        var cancel = TestContext.Current.CancellationToken;

        var post = await client.PostAsync("metrics", new StringContent(""), cancel);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "metrics"), cancel);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(cancel));
    }

    [Theory]
    [InlineData("GET /metrics\r\n\r\n", 400)]
    [InlineData("GET metrics HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\n folded: header\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nab\r\n0\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501)]
    [InlineData("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400)]
    [InlineData("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n", 413)]
    [InlineData("PUT /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413)]
    public async Task Malformed_or_oversized_requests_get_a_clear_status(string request, int expected)
    {
        using var server = Start();

        var (status, _) = await RawAsync(server, Encoding.ASCII.GetBytes(request));

        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task A_chunked_body_is_decoded_with_its_extensions_and_trailers()
    {
        using var server = Start();

        var (status, text) = await RawAsync(server, Encoding.ASCII.GetBytes(
            "PUT /echo HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n"));

        Assert.Equal(200, status);
        Assert.EndsWith(" hello", text);
    }

    [Fact]
    public async Task Headers_beyond_the_bound_are_431()
    {
        using var server = Start();
        var request = "GET /metrics HTTP/1.1\r\nX-Filler: " + new string('a', 9000) + "\r\n\r\n";

        var (status, _) = await RawAsync(server, Encoding.ASCII.GetBytes(request));

        Assert.Equal(431, status);
    }

    [Fact]
    public async Task Expect_100_continue_is_answered_before_the_body_is_read()
    {
        using var server = Start();
        using var socket = await ConnectAsync(server);
        var cancel = TestContext.Current.CancellationToken;

        await socket.SendAsync("PUT /echo HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"u8.ToArray(), cancel);
        var interim = await ReceiveSomeAsync(socket, cancel);
        await socket.SendAsync("abc"u8.ToArray(), cancel);
        var final = await ReceiveAllAsync(socket, cancel);

        Assert.StartsWith("HTTP/1.1 100 Continue", interim);
        Assert.StartsWith("HTTP/1.1 200 OK", final);
        Assert.EndsWith(" abc", final);
    }

    [Fact]
    public async Task The_deadline_covers_the_whole_request_so_trickling_bytes_does_not_extend_it()
    {
        using var server = Start(new ControlServerLimits(MaxConnections: 8, RequestTimeout: TimeSpan.FromMilliseconds(800)));
        using var socket = await ConnectAsync(server);
        var cancel = TestContext.Current.CancellationToken;
        var started = Stopwatch.GetTimestamp();

        // One byte every 200 ms: each read completes well within any per-read timeout.
        var trickle = Task.Run(async () =>
        {
            foreach (var b in "GET /metrics HTTP/1.1\r\nX-Slow: yes"u8.ToArray())
            {
                try
                {
                    await socket.SendAsync(new[] { b }, cancel);
                    await Task.Delay(200, cancel);
                }
                catch (SocketException)
                {
                    return;
                }
            }
        }, cancel);
        var answer = await ReceiveAllAsync(socket, cancel);
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.StartsWith("HTTP/1.1 408", answer);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(2500));
        await trickle;
    }

    [Fact]
    public async Task Beyond_the_connection_bound_a_client_is_refused_at_once_and_served_again_when_a_slot_frees()
    {
        using var server = Start(new ControlServerLimits(MaxConnections: 3, RequestTimeout: TimeSpan.FromSeconds(3)));
        var cancel = TestContext.Current.CancellationToken;
        var idle = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            idle.Add(await ConnectAsync(server));
        }
        await WaitUntilAsync(() => server.OpenConnections == 3, cancel);
        using var client = Client(server);

        var started = Stopwatch.GetTimestamp();
        var refused = await client.GetAsync("metrics", cancel);
        var refusedAfter = Stopwatch.GetElapsedTime(started);
        foreach (var socket in idle)
        {
            socket.Dispose();
        }
        await WaitUntilAsync(() => server.OpenConnections == 0, cancel);
        var served = await client.GetAsync("metrics", cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.True(refusedAfter < TimeSpan.FromMilliseconds(500), $"refused after {refusedAfter.TotalMilliseconds:0} ms");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Fifty_slow_clients_do_not_delay_a_scrape()
    {
        using var server = Start();
        var cancel = TestContext.Current.CancellationToken;
        var slow = new List<Socket>();
        for (var i = 0; i < 50; i++)
        {
            var socket = await ConnectAsync(server);
            await socket.SendAsync("GET /metrics HTTP/1.1\r\nX-Slow:"u8.ToArray(), cancel);
            slow.Add(socket);
        }
        await WaitUntilAsync(() => server.OpenConnections == 50, cancel);
        using var client = Client(server);

        var started = Stopwatch.GetTimestamp();
        var response = await client.GetAsync("metrics", cancel);
        var elapsed = Stopwatch.GetElapsedTime(started);
        foreach (var socket in slow)
        {
            socket.Dispose();
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"scrape took {elapsed.TotalMilliseconds:0} ms beside 50 slow clients");
    }

    [Fact]
    public void A_port_in_use_fails_at_start_with_the_endpoint_named()
    {
        using var first = Start();
        var taken = first.LocalEndpoints[0];
        using var second = new ControlServer([new ControlBinding(taken, [])], new ControlServerLimits(1, TimeSpan.FromSeconds(1)), NullLogger.Instance);

        var error = Assert.Throws<InvalidOperationException>(second.Start);

        Assert.Contains(taken.ToString(), error.Message);
    }

    private static async Task<Socket> ConnectAsync(ControlServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndpoints[0], TestContext.Current.CancellationToken);
        return socket;
    }

    private static async Task<(int Status, string Text)> RawAsync(ControlServer server, byte[] request)
    {
        using var socket = await ConnectAsync(server);
        var cancel = TestContext.Current.CancellationToken;
        await socket.SendAsync(request, cancel);
        var text = await ReceiveAllAsync(socket, cancel);
        return (int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), text);
    }

    private static async Task<string> ReceiveSomeAsync(Socket socket, CancellationToken cancel)
    {
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer, cancel);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<string> ReceiveAllAsync(Socket socket, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException) when (text.Length > 0)
        {
            // A reset after the answer arrived: the answer is what the test reads.
        }
        return text.ToString();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancel)
    {
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, "condition not reached within 5 s");
            await Task.Delay(10, cancel);
        }
    }
}
