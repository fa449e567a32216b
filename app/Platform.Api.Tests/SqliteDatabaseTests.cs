using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.Workloads;

namespace Platform.Api.Tests;

/// <summary>
/// SQLite is the embedded default. Its "async" ADO.NET methods run synchronously, so the async db mode
/// blocks a pool thread for the whole query; the API reports that instead of hiding it.
/// </summary>
public sealed class SqliteDatabaseTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    [InlineData("sync-over-async")]
    [InlineData("task-run")]
    public async Task Every_mode_reads_the_rows_after_the_requested_wait(string mode)
    {
        var response = await api.Client.GetAsync($"/db/{mode}?ms=100&rows=7", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadAsync<DbResult>();
        Assert.Equal("sqlite", result.Provider);
        Assert.Equal(7, result.Rows);
        Assert.InRange(result.ElapsedMs, 95, 10_000);
    }

    [Fact]
    public async Task The_async_mode_on_sqlite_blocks_the_thread_for_the_whole_query_and_says_so()
    {
        var response = await api.Client.GetAsync("/db/async?ms=200&rows=5", TestContext.Current.CancellationToken);

        var result = await response.ReadAsync<DbResult>();
        Assert.True(result.CompletedSynchronously, "ToListAsync on SQLite should return an already completed task");
        Assert.True(result.ThreadBlockedMs >= 190, $"the request thread should have been blocked for the wait, was {result.ThreadBlockedMs} ms");
    }

    [Fact]
    public async Task Microsoft_Data_Sqlite_async_reader_completes_before_returning()
    {
        // The fact behind the test above, measured on the ADO.NET provider itself.
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        connection.CreateFunction("sleep_ms", (long ms) => { Thread.Sleep((int)ms); return ms; });
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sleep_ms(200)";

        var started = Stopwatch.GetTimestamp();
        var pending = command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        var returnedAfter = Stopwatch.GetElapsedTime(started);

        Assert.True(pending.IsCompleted);
        Assert.True(returnedAfter >= TimeSpan.FromMilliseconds(190), $"returned after {returnedAfter.TotalMilliseconds} ms");
        Assert.Equal(200L, await pending);
    }
}
