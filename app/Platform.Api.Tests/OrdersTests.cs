using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.Workloads;

namespace Platform.Api.Tests;

public sealed class OrdersTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_posted_order_is_created_counted_and_readable()
    {
        var before = (await (await api.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>()).Count;

        var created = await api.Client.PostAsJsonAsync("/orders", new { item = "book", quantity = 2 }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var order = await created.ReadAsync<OrderResult>();
        Assert.Equal($"/orders/{order.Id}", created.Headers.Location?.OriginalString);
        var read = await (await api.Client.GetAsync(created.Headers.Location, TestContext.Current.CancellationToken)).ReadAsync<OrderResult>();
        Assert.Equal(("book", 2), (read.Item, read.Quantity));
        var after = (await (await api.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>()).Count;
        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task Posting_the_same_order_id_again_is_a_safe_retry()
    {
        var id = Guid.NewGuid();

        var first = await api.Client.PostAsJsonAsync("/orders", new { id, item = "pen", quantity = 1 }, TestContext.Current.CancellationToken);
        var retry = await api.Client.PostAsJsonAsync("/orders", new { id, item = "pen", quantity = 1 }, TestContext.Current.CancellationToken);
        var different = await api.Client.PostAsJsonAsync("/orders", new { id, item = "pencil", quantity = 1 }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(id, (await retry.ReadAsync<OrderResult>()).Id);
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal("application/problem+json", different.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_order_is_404()
    {
        var response = await api.Client.GetAsync($"/orders/{Guid.NewGuid()}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_orders_on_sqlite_are_all_stored()
    {
        var before = (await (await api.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>()).Count;

        var responses = await Task.WhenAll(Enumerable.Range(0, 150).Select(i =>
            api.Client.PostAsJsonAsync("/orders", new { item = $"item-{i}", quantity = 1 + (i % 10) }, TestContext.Current.CancellationToken)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var after = (await (await api.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>()).Count;
        Assert.Equal(before + 150, after);
    }

    [Theory]
    [InlineData("""{"item":"x","quantity":0}""", "quantity")]
    [InlineData("""{"item":"x","quantity":1001}""", "quantity")]
    [InlineData("""{"item":"x"}""", "quantity")]
    [InlineData("""{"item":"   ","quantity":1}""", "item")]
    [InlineData("""{"quantity":1}""", "item")]
    [InlineData("""{"id":"00000000-0000-0000-0000-000000000000","item":"x","quantity":1}""", "id")]
    public async Task An_invalid_order_is_a_400_naming_the_field(string json, string field)
    {
        var response = await api.Client.PostAsync("/orders", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("""{"item":"x","quantity":"3"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"item":"x","quantity":1e99}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"item":"x",""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("null", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""[1,2]""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"item":"x","quantity":1}""", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task A_malformed_body_is_a_problem_not_a_crash(string body, string contentType, HttpStatusCode expected)
    {
        var response = await api.Client.PostAsync("/orders", new StringContent(body, Encoding.UTF8, contentType), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        var json = $$"""{"item":"{{new string('x', 20_000)}}","quantity":1}""";

        var response = await api.Client.PostAsync("/orders", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
