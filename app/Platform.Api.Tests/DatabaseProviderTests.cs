using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Data;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.Workloads;

namespace Platform.Api.Tests;

/// <summary>
/// The db and db-blob workloads on every provider, against the real database: SQLite (embedded; its async methods
/// run synchronously), PostgreSQL (a throwaway server; truly asynchronous) and SQL Server (where
/// SQLSERVER_CONNECTION_STRING names one; skipped with the reason otherwise).
/// </summary>
public sealed class DatabaseProviderTests(DatabaseProviders providers) : IClassFixture<DatabaseProviders>
{
    public static TheoryData<string> Providers => new(DatabaseProviders.All);

    public static TheoryData<string, string> ProvidersAndModes()
    {
        var data = new TheoryData<string, string>();
        foreach (var provider in DatabaseProviders.All)
        {
            foreach (var mode in new[] { Modes.Async, Modes.Sync, Modes.SyncOverAsync, Modes.TaskRun })
            {
                data.Add(provider, mode);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ProvidersAndModes))]
    public async Task Every_mode_waits_in_the_database_and_reads_the_rows(string provider, string mode)
    {
        var db = await providers.GetAsync(provider);

        var response = await db.Client.GetAsync($"/db/{mode}?ms=150&rows=9", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadAsync<DbResult>();
        Assert.Equal(provider, result.Provider);
        Assert.Equal(9, result.Rows);
        Assert.InRange(result.ElapsedMs, 145, 10_000);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_async_mode_frees_the_thread_only_where_the_provider_has_async_io_and_says_which(string provider)
    {
        var db = await providers.GetAsync(provider);
        // Warm up the pool's connection so the measured call does not include opening it.
        await db.Client.GetAsync("/db/async?ms=0&rows=1", TestContext.Current.CancellationToken);

        var result = await (await db.Client.GetAsync("/db/async?ms=400&rows=5", TestContext.Current.CancellationToken)).ReadAsync<DbResult>();

        Assert.True(result.ElapsedMs >= 390, $"elapsed {result.ElapsedMs} ms of a 400 ms wait");
        if (db.HasAsyncIo)
        {
            Assert.False(result.CompletedSynchronously);
            Assert.True(result.ThreadBlockedMs < 200, $"the thread was blocked {result.ThreadBlockedMs} ms of a 400 ms server wait");
        }
        else
        {
            Assert.True(result.CompletedSynchronously, "ToListAsync on SQLite should return an already completed task");
            Assert.True(result.ThreadBlockedMs >= 390, $"the request thread should have been blocked for the wait, was {result.ThreadBlockedMs} ms");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_seed_rows_exist_in_the_database_itself(string provider)
    {
        var db = await providers.GetAsync(provider);

        Assert.Equal(100, await db.CountRowsAsync("items", TestContext.Current.CancellationToken));
        Assert.Equal(1, await db.CountRowsAsync("blobs", TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Concurrent_orders_are_all_stored_exactly_once(string provider)
    {
        var db = await providers.GetAsync(provider);
        var before = await db.CountRowsAsync("orders", TestContext.Current.CancellationToken);
        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();

        // Each order is posted twice, concurrently: retries must not duplicate.
        var posts = ids.Concat(ids).Select(id =>
            db.Client.PostAsJsonAsync("/orders", new { id, item = "widget", quantity = 3 }, TestContext.Current.CancellationToken));
        var responses = await Task.WhenAll(posts);

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"got {(int)r.StatusCode}"));
        Assert.Equal(200, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(before + 200, await db.CountRowsAsync("orders", TestContext.Current.CancellationToken));
        var api = await (await db.Client.GetAsync("/orders/count", TestContext.Current.CancellationToken)).ReadAsync<OrderCount>();
        Assert.Equal(before + 200, api.Count);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Readiness_checks_the_database(string provider)
    {
        var db = await providers.GetAsync(provider);

        var response = await db.Client.GetAsync("/healthz/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ProvidersAndModes))]
    public async Task Every_mode_reads_the_blob_prefix_it_asked_for(string provider, string mode)
    {
        var db = await providers.GetAsync(provider);

        var response = await db.Client.GetAsync($"/db/blob/{mode}?kb=300", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadAsync<BlobResult>();
        Assert.Equal(("db-blob", mode, provider), (result.Workload, result.Mode, result.Provider));
        Assert.Equal((300, 300 * 1024), (result.RequestedKb, result.Bytes));
        Assert.InRange(result.ThreadBlockedMs, 0, result.ElapsedMs + 1);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_async_blob_read_says_whether_it_completed_before_returning(string provider)
    {
        var db = await providers.GetAsync(provider);
        await db.Client.GetAsync("/db/blob/async?kb=1", TestContext.Current.CancellationToken);

        var result = await (await db.Client.GetAsync($"/db/blob/async?kb={BlobSeed.MaxKilobytes}", TestContext.Current.CancellationToken)).ReadAsync<BlobResult>();

        Assert.Equal(BlobSeed.Bytes, result.Bytes);
        // SQLite reads the whole value before ToListAsync returns; a server's reply arrives later, on the socket.
        Assert.Equal(!db.HasAsyncIo, result.CompletedSynchronously);
        if (!db.HasAsyncIo)
        {
            Assert.True(result.ThreadBlockedMs >= 0.9 * result.ElapsedMs, $"blocked {result.ThreadBlockedMs} ms of {result.ElapsedMs} ms");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_blob_prefix_is_the_seeded_bytes_from_the_first_one(string provider)
    {
        var db = await providers.GetAsync(provider);
        await using var scope = db.Factory.Services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var dialect = scope.ServiceProvider.GetRequiredService<IDatabaseDialect>();

        // An odd length, so an off-by-one in the database's 1-based substring shows at either end.
        var blob = Assert.Single(await dialect.BlobPrefix(context, 100_003).ToListAsync(TestContext.Current.CancellationToken));

        Assert.Equal(100_003, blob.Data.Length);
        Assert.Equal(Enumerable.Range(0, 100_003).Select(BlobSeed.ByteAt), blob.Data);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("4097")]
    [InlineData("lots")]
    public async Task A_blob_size_outside_its_bounds_is_a_400_naming_kb(string kb)
    {
        var db = await providers.GetAsync(DatabaseProviders.Sqlite);

        var response = await db.Client.GetAsync($"/db/blob/sync?kb={kb}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("'kb' must be an integer from 1 to 4096", body);
    }

    [Fact]
    public async Task Microsoft_Data_Sqlite_async_reader_completes_before_returning()
    {
        // The fact behind SQLite's answers above, measured on the ADO.NET provider itself.
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

/// <summary>A database created before the blobs table existed: EnsureCreated leaves it alone, the API adds the table.</summary>
public sealed class SchemaUpgradeTests
{
    [Fact]
    public async Task A_database_from_before_the_blob_workload_gets_its_table_and_becomes_ready()
    {
        var directory = Directory.CreateTempSubdirectory("platform-upgrade-").FullName;
        var connectionString = $"Data Source={Path.Combine(directory, "platform.db")};Pooling=False";
        try
        {
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = connection.CreateCommand();
                // The schema as the previous version created it: items and orders only.
                command.CommandText = """
                    CREATE TABLE "items" ("id" INTEGER NOT NULL CONSTRAINT "PK_items" PRIMARY KEY, "name" TEXT NOT NULL, "price_cents" INTEGER NOT NULL);
                    CREATE TABLE "orders" ("id" TEXT NOT NULL CONSTRAINT "PK_orders" PRIMARY KEY, "item" TEXT NOT NULL, "quantity" INTEGER NOT NULL, "created_at_utc" TEXT NOT NULL);
                    """;
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }
            await using var factory = new ApiFactory(new Dictionary<string, string?> { ["Database:ConnectionString"] = connectionString });

            using var client = await factory.StartAsync();
            var result = await (await client.GetAsync("/db/blob/sync?kb=8", TestContext.Current.CancellationToken)).ReadAsync<BlobResult>();

            Assert.Equal(8 * 1024, result.Bytes);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
