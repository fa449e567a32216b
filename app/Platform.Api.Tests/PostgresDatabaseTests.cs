using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.Workloads;

namespace Platform.Api.Tests;

/// <summary>PostgreSQL for real: the server waits (pg_sleep), the client awaits a socket.</summary>
public sealed class PostgresDatabaseTests(PostgresFixture pg) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    [InlineData("sync-over-async")]
    [InlineData("task-run")]
    public async Task Every_mode_waits_on_the_server_and_reads_the_rows(string mode)
    {
        var response = await pg.Client.GetAsync($"/db/{mode}?ms=150&rows=9", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadAsync<DbResult>();
        Assert.Equal("postgres", result.Provider);
        Assert.Equal(9, result.Rows);
        Assert.InRange(result.ElapsedMs, 145, 10_000);
    }

    [Fact]
    public async Task The_async_mode_on_postgres_frees_the_thread_while_the_server_waits()
    {
        // Warm up the pool's connection so the measured call does not include opening it.
        await pg.Client.GetAsync("/db/async?ms=0&rows=1", TestContext.Current.CancellationToken);

        var result = await (await pg.Client.GetAsync("/db/async?ms=400&rows=5", TestContext.Current.CancellationToken)).ReadAsync<DbResult>();

        Assert.False(result.CompletedSynchronously);
        Assert.True(result.ElapsedMs >= 390);
        Assert.True(result.ThreadBlockedMs < 200, $"the thread was blocked {result.ThreadBlockedMs} ms of a 400 ms server wait");
    }

    [Fact]
    public async Task The_seed_rows_exist_in_the_server_database()
    {
        var count = await pg.Server.ExecuteSqlAsync("select count(*) from items", PostgresFixture.Database, TestContext.Current.CancellationToken);

        Assert.Equal(100, int.Parse(count.Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Concurrent_orders_are_all_stored_exactly_once()
    {
        var before = await CountOrdersAsync();
        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();

        // Each order is posted twice, concurrently: retries must not duplicate.
        var posts = ids.Concat(ids).Select(id =>
            pg.Client.PostAsJsonAsync("/orders", new { id, item = "widget", quantity = 3 }, TestContext.Current.CancellationToken));
        var responses = await Task.WhenAll(posts);

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"got {(int)r.StatusCode}"));
        Assert.Equal(200, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(before + 200, await CountOrdersAsync());
        var api = await (await pg.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>();
        Assert.Equal(before + 200, api.Count);
    }

    [Fact]
    public async Task Readiness_checks_the_server_database()
    {
        var response = await pg.Client.GetAsync("/healthz/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<long> CountOrdersAsync() =>
        long.Parse((await pg.Server.ExecuteSqlAsync("select count(*) from orders", PostgresFixture.Database, TestContext.Current.CancellationToken)).Trim(), CultureInfo.InvariantCulture);
}
