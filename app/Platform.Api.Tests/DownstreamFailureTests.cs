using System.Net;
using System.Text.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>A downstream that does not answer is a 502 ProblemDetails in every mode, never a bare 500.</summary>
public sealed class DownstreamFailureTests(DownstreamFailureTests.UnreachableDownstream api) : IClassFixture<DownstreamFailureTests.UnreachableDownstream>
{
    public sealed class UnreachableDownstream : ApiFixture
    {
        // A port nothing listens on: connection refused at once.
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Downstream:BaseUrl"] = $"http://127.0.0.1:{FreeTcpPort.Next()}",
        };
    }

    [Theory]
    [InlineData("/io/http/async?ms=10")]
    [InlineData("/io/http/sync?ms=10")]
    [InlineData("/io/http/sync-over-async?ms=10")]
    [InlineData("/io/http/task-run?ms=10")]
    [InlineData("/fanout/when-all?calls=3&ms=10")]
    [InlineData("/fanout/sequential?calls=3&ms=10")]
    public async Task An_unreachable_downstream_is_a_502_problem(string url)
    {
        var response = await api.Client.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("The downstream dependency failed.", body.RootElement.GetProperty("title").GetString());
    }
}
