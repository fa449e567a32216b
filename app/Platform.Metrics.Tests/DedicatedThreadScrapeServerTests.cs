using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Metrics.Tests;

public sealed class DedicatedThreadScrapeServerTests
{
    private static (PrometheusCollector Collector, DedicatedThreadScrapeServer Server, Meter Meter) Start()
    {
        var meter = new Meter($"dedicated-{Guid.NewGuid():N}");
        var options = new PrometheusExporterOptions();
        options.Meters.Add(meter.Name);
        var collector = new PrometheusCollector(options);
        collector.Start();
        meter.CreateCounter<long>("test.requests", "{request}", "Requests.").Add(3);
        var server = new DedicatedThreadScrapeServer(collector, new IPEndPoint(IPAddress.Loopback, 0));
        server.Start();
        return (collector, server, meter);
    }

    [Fact]
    public async Task It_serves_the_exposition_at_metrics()
    {
        var (collector, server, meter) = Start();
        using (collector)
        using (server)
        using (meter)
        using (var http = new HttpClient())
        {
            var response = await http.GetAsync($"http://127.0.0.1:{server.LocalEndpoint.Port}/metrics", TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("test_requests_total 3", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    [Theory]
    [InlineData("GET /other HTTP/1.1", "404")]
    [InlineData("POST /metrics HTTP/1.1", "405")]
    [InlineData("GARBAGE", "400")]
    [InlineData("GET /metrics SMTP/1.0", "400")]
    public async Task It_answers_anything_else_with_a_clear_status(string requestLine, string expectedStatus)
    {
        var (collector, server, meter) = Start();
        using (collector)
        using (server)
        using (meter)
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, server.LocalEndpoint.Port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(requestLine + "\r\nHost: x\r\n\r\n"), TestContext.Current.CancellationToken);
            using var reader = new StreamReader(stream);

            var statusLine = await reader.ReadLineAsync(TestContext.Current.CancellationToken);

            Assert.StartsWith($"HTTP/1.1 {expectedStatus}", statusLine);
        }
    }

    [Fact]
    public async Task A_client_that_sends_nothing_does_not_block_it_forever()
    {
        var (collector, server, meter) = Start();
        using (collector)
        using (server)
        using (meter)
        using (var silent = new TcpClient())
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) })
        {
            await silent.ConnectAsync(IPAddress.Loopback, server.LocalEndpoint.Port, TestContext.Current.CancellationToken);

            // The silent client holds the single serving thread until its 5 s read timeout, then the scrape is served.
            var response = await http.GetAsync($"http://127.0.0.1:{server.LocalEndpoint.Port}/metrics", TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
