using System.Globalization;
using System.Net;
using Platform.Api.Connections;
using Platform.Api.Telemetry;
using Platform.Api.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>
/// Connections:MaxAgeSeconds and Connections:MaxRequests on a real API process: what a keep-alive client sees on
/// the wire, the counter, the start-up checks, and the point of it all: behind a per-connection balancer, a
/// backend that joins later gets a share of a fixed set of keep-alive clients only when connections are recycled.
/// </summary>
public sealed class ConnectionRecyclingTests
{
    private const string Request = "/downstream/delay?ms=0";

    private static string RecycledCounter =>
        MetricsContract.Metrics.Single(m => m.Instrument == MetricNames.ConnectionsRecycled).Name;

    /// <summary>The API's recycled-connection counter by reason, read from its control port.</summary>
    internal static async Task<(double Age, double Requests)> RecycledAsync(ApiProcess api)
    {
        using var control = new HttpClient { BaseAddress = api.ControlBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var metrics = MetricsText.Parse(await control.GetStringAsync("metrics", TestContext.Current.CancellationToken));
        Assert.Equal("counter", metrics.Types[RecycledCounter]);
        return (metrics.Sum(RecycledCounter, l => l["reason"] == "age"), metrics.Sum(RecycledCounter, l => l["reason"] == "requests"));
    }

    [Fact]
    public async Task Without_settings_a_keep_alive_connection_is_never_asked_to_close_and_the_counter_reads_zero()
    {
        await using var api = await ApiProcess.StartAsync();
        using var client = new KeepAliveClient(api.BaseAddress);

        var closes = 0;
        for (var i = 0; i < 50; i++)
        {
            using var response = await client.Http.GetAsync(Request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            closes += response.Headers.ConnectionClose == true ? 1 : 0;
        }

        Assert.Equal(0, closes);
        Assert.Equal(1, client.Connections);
        Assert.Equal((0, 0), await RecycledAsync(api));
    }

    [Fact]
    public async Task After_max_requests_the_last_response_says_connection_close_and_the_client_reconnects()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Connections__MaxRequests"] = "5" });
        using var client = new KeepAliveClient(api.BaseAddress);
        // Readiness polling (another client) may have been recycled already: count from here.
        var before = await RecycledAsync(api);

        var seen = new List<(int Connection, bool Close)>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.Http.GetAsync(Request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add((client.Connections, response.Headers.ConnectionClose == true));
        }

        // Five requests per connection; only the fifth response of each says close.
        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3], seen.Select(s => s.Connection));
        Assert.Equal([false, false, false, false, true, false, false, false, false, true, false, false], seen.Select(s => s.Close));
        var after = await RecycledAsync(api);
        Assert.Equal((0, 2), (after.Age - before.Age, after.Requests - before.Requests));
    }

    [Fact]
    public async Task Http2_connections_get_a_goaway_after_max_requests_and_the_client_opens_a_new_one()
    {
        // The traffic port speaks HTTP/1.1 without TLS; HTTP/2 only when Kestrel is told to (prior knowledge, h2c).
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Connections__MaxRequests"] = "3",
            ["Kestrel__EndpointDefaults__Protocols"] = "Http2",
        }, waitForReady: false);
        using (var probe = new KeepAliveClient(api.BaseAddress, HttpVersion.Version20))
        {
            await ApiFactory.WaitForReadyAsync(probe.Http);
        }
        var before = await RecycledAsync(api);
        using var client = new KeepAliveClient(api.BaseAddress, HttpVersion.Version20);

        for (var i = 0; i < 7; i++)
        {
            using var response = await client.Http.GetAsync(Request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
        }

        // Three streams per connection: 3 + 3 + 1.
        Assert.Equal(3, client.Connections);
        var after = await RecycledAsync(api);
        Assert.Equal((0, 2), (after.Age - before.Age, after.Requests - before.Requests));
    }

    [Fact]
    public async Task The_admin_port_on_kestrel_is_not_recycled_while_the_traffic_port_is()
    {
        var traffic = FreeTcpPort.Next();
        var admin = FreeTcpPort.Next();
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{traffic};http://127.0.0.1:{admin}",
            ["Admin__Port"] = admin.ToString(CultureInfo.InvariantCulture),
            // No control listener: Kestrel serves the admin port itself.
            ["Control__Port"] = "",
            ["Connections__MaxRequests"] = "2",
        }, port: traffic);
        using var operatorClient = new KeepAliveClient(new Uri($"http://127.0.0.1:{admin}/"));
        using var trafficClient = new KeepAliveClient(api.BaseAddress);

        var closes = 0;
        for (var i = 0; i < 6; i++)
        {
            using var request = api.AdminRequest(HttpMethod.Get, "/admin/threadpool");
            using var response = await operatorClient.Http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            closes += response.Headers.ConnectionClose == true ? 1 : 0;
        }

        // The same process does recycle its traffic port.
        using var first = await trafficClient.Http.GetAsync(Request, TestContext.Current.CancellationToken);
        using var second = await trafficClient.Http.GetAsync(Request, TestContext.Current.CancellationToken);

        Assert.Equal(0, closes);
        Assert.Equal(1, operatorClient.Connections);
        Assert.NotEqual(true, first.Headers.ConnectionClose);
        Assert.True(second.Headers.ConnectionClose);
    }

    [Theory]
    [InlineData("Connections__MaxAgeSeconds", "-1", "Connections:MaxAgeSeconds must be 0 (off) or from 1 to 86400 seconds; got -1.")]
    [InlineData("Connections__MaxAgeSeconds", "86401", "Connections:MaxAgeSeconds must be 0 (off) or from 1 to 86400 seconds; got 86401.")]
    [InlineData("Connections__MaxRequests", "-5", "Connections:MaxRequests must be 0 (off) or from 1 to 1000000; got -5.")]
    [InlineData("Connections__MaxRequests", "1000001", "Connections:MaxRequests must be 0 (off) or from 1 to 1000000; got 1000001.")]
    [InlineData("Connections__MaxAgeSeconds", "ten", "Failed to convert configuration value 'ten' at 'Connections:MaxAgeSeconds' to type 'System.Int32'.")]
    public async Task An_out_of_bounds_or_non_numeric_setting_stops_start_up_with_one_line_naming_it(string key, string value, string message)
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { [key] = value }, waitForReady: false);

        var exitCode = await api.Process.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(api.Process.RecentOutput.Split('\n'), l => l.Contains("Connections:", StringComparison.Ordinal));
        Assert.StartsWith("Invalid setting: ", line);
        Assert.Contains(message, line);
        Assert.DoesNotContain("   at ", api.Process.RecentOutput);
    }

    [Fact]
    public void Max_ages_spread_evenly_over_ten_percent_either_side_of_the_setting()
    {
        Assert.Null(RecyclableConnection.MaxAgeOf(0, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(9), RecyclableConnection.MaxAgeOf(10, 0));
        Assert.Equal(TimeSpan.FromSeconds(10), RecyclableConnection.MaxAgeOf(10, 0.5));
        var random = new Random(7);
        var ages = Enumerable.Range(0, 1000).Select(_ => RecyclableConnection.MaxAgeOf(10, random.NextDouble())!.Value.TotalSeconds).ToList();

        Assert.InRange(ages.Min(), 9, 9.1);
        Assert.InRange(ages.Max(), 10.9, 11);
        // Evenly: each tenth of the band holds about a tenth of the connections.
        var perTenth = ages.GroupBy(a => Math.Min(9, (int)((a - 9) / 0.2))).Select(g => g.Count()).ToList();
        Assert.Equal(10, perTenth.Count);
        Assert.All(perTenth, count => Assert.InRange(count, 60, 140));
    }

    [Fact]
    public void A_connection_is_recycled_once_by_age_before_requests_and_only_when_due()
    {
        var time = new SteppedTime();
        var options = new ConnectionRecyclingOptions { MaxAgeSeconds = 10, MaxRequests = 3 };
        var byRequests = RecyclableConnection.Open(options, time, jitterSample: 0.5);
        var byAge = RecyclableConnection.Open(options, time, jitterSample: 0.5);

        Assert.Null(byRequests.OnRequest(time.GetTimestamp()));
        Assert.Null(byRequests.OnRequest(time.GetTimestamp()));
        Assert.Equal(RecycleReason.Requests, byRequests.OnRequest(time.GetTimestamp()));
        Assert.Null(byRequests.OnRequest(time.GetTimestamp()));

        Assert.Null(byAge.OnRequest(time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(9.99));
        Assert.Null(byAge.OnRequest(time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(0.01));
        Assert.Equal(RecycleReason.Age, byAge.OnRequest(time.GetTimestamp()));
        Assert.Null(byAge.OnRequest(time.GetTimestamp()));
    }

    private sealed class SteppedTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}

/// <summary>The recycling tests that measure time: connection ages and the balancer's share of requests.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ConnectionRecyclingTimingTests
{
    private const string Request = "/downstream/delay?ms=0";

    [Fact]
    public async Task After_max_age_the_next_response_says_connection_close_never_before_and_the_counter_says_age()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Connections__MaxAgeSeconds"] = "1" });
        using var client = new KeepAliveClient(api.BaseAddress);
        var cancel = TestContext.Current.CancellationToken;
        // Readiness polling (another client) may have been recycled already: count from here.
        var before = await ConnectionRecyclingTests.RecycledAsync(api);

        // (connection, its age when the response arrived, whether the response said close)
        var seen = new List<(int Connection, TimeSpan Age, bool Close)>();
        var until = DateTime.UtcNow.AddSeconds(3.5);
        while (DateTime.UtcNow < until)
        {
            using var response = await client.Http.GetAsync(Request, cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add((client.Connections, client.CurrentConnectionAge, response.Headers.ConnectionClose == true));
            await Task.Delay(50, cancel);
        }

        var closes = seen.Where(s => s.Close).ToList();
        Assert.True(closes.Count >= 2, $"{closes.Count} closes in 3.5 s at a max age of 1 s");
        foreach (var close in closes)
        {
            // The server counts from its accept, the client from its connect: the client's age is never smaller.
            Assert.True(close.Age >= TimeSpan.FromSeconds(0.9), $"connection {close.Connection} was closed at {close.Age.TotalSeconds:F3} s, before 0.9 s");
            Assert.True(close.Age <= TimeSpan.FromSeconds(2), $"connection {close.Connection} was closed only at {close.Age.TotalSeconds:F3} s");
            Assert.Single(seen, s => s.Connection == close.Connection && s.Close);
            Assert.True(seen.Count(s => s.Connection == close.Connection) >= 5, $"connection {close.Connection} served fewer than 5 requests");
            Assert.Equal(close, seen.Last(s => s.Connection == close.Connection));
        }
        // A new connection after every close (none yet after a close at the very end).
        Assert.Equal(closes.Count + (seen[^1].Close ? 0 : 1), client.Connections);
        var after = await ConnectionRecyclingTests.RecycledAsync(api);
        Assert.Equal((closes.Count, 0), (after.Age - before.Age, after.Requests - before.Requests));
    }

    /// <summary>What a run of the fixed clients did: requests each backend served after the second one joined.</summary>
    private sealed record Share(int First, int Second, int Failed, int FirstConnections, int SecondConnections);

    private static async Task<Share> KeepAliveClientsBehindABalancerAsync(IDictionary<string, string> settings)
    {
        var cancel = TestContext.Current.CancellationToken;
        var startFirst = ApiProcess.StartAsync(new Dictionary<string, string>(settings));
        var startSecond = ApiProcess.StartAsync(new Dictionary<string, string>(settings));
        await using var first = await startFirst;
        await using var second = await startSecond;
        await using var balancer = new PerConnectionBalancer();
        balancer.Add(first.BaseAddress);

        var clients = Enumerable.Range(0, 8).Select(_ => new KeepAliveClient(balancer.BaseAddress)).ToList();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        async Task RunAsync(KeepAliveClient client)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.Http.GetAsync("/downstream/delay?ms=10", stop.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        // Every client connects while only the first backend is in the balancer, as k6's VUs did before the
        // new pods were Ready; then the second joins, and the clients run on for 4 s.
        var running = clients.Select(RunAsync).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1), cancel);
        var firstBefore = await ServedAsync(first);
        var secondBefore = await ServedAsync(second);
        balancer.Add(second.BaseAddress);
        await Task.Delay(TimeSpan.FromSeconds(4), cancel);
        await stop.CancelAsync();
        await Task.WhenAll(running);
        clients.ForEach(c => c.Dispose());

        return new Share(
            (int)(await ServedAsync(first) - firstBefore),
            (int)(await ServedAsync(second) - secondBefore),
            failed,
            balancer.ConnectionsTo(first.BaseAddress),
            balancer.ConnectionsTo(second.BaseAddress));
    }

    /// <summary>The /downstream/delay requests a backend has completed, from its own counter.</summary>
    private static async Task<double> ServedAsync(ApiProcess api)
    {
        using var control = new HttpClient { BaseAddress = api.ControlBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var metrics = MetricsText.Parse(await control.GetStringAsync("metrics", TestContext.Current.CancellationToken));
        return metrics.Sum("platform_workload_requests_total", l => l["workload"] == "downstream");
    }

    [Fact]
    public async Task Behind_a_per_connection_balancer_a_backend_that_joins_later_gets_no_keep_alive_client_without_recycling()
    {
        var share = await KeepAliveClientsBehindABalancerAsync(new Dictionary<string, string>());
        TestContext.Current.TestOutputHelper?.WriteLine($"without recycling: {share}");

        Assert.True(share.First > 100, $"the first backend served only {share.First} requests");
        Assert.Equal(0, share.Second);
        Assert.Equal(0, share.SecondConnections);
        Assert.Equal(0, share.Failed);
    }

    [Fact]
    public async Task Behind_a_per_connection_balancer_recycled_connections_give_a_backend_that_joins_later_its_share()
    {
        var share = await KeepAliveClientsBehindABalancerAsync(new Dictionary<string, string> { ["Connections__MaxAgeSeconds"] = "1" });
        TestContext.Current.TestOutputHelper?.WriteLine($"recycling after 1 s: {share}");

        var total = share.First + share.Second;
        Assert.True(total > 100, $"only {total} requests served");
        Assert.True(share.Second >= total / 5, $"the backend that joined later served {share.Second} of {total} requests");
        Assert.True(share.SecondConnections >= 8, $"only {share.SecondConnections} connections were placed on the backend that joined later");
        Assert.Equal(0, share.Failed);
    }
}
