using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Platform.Api.Data;

/// <summary>
/// SQLite runs inside this process, so "the server waits" means the calling thread waits:
/// platform_sleep() blocks the thread that runs the query. Microsoft.Data.Sqlite has no truly
/// asynchronous I/O (its async methods run synchronously), so even the async mode blocks a thread here.
/// </summary>
internal sealed class SqliteDialect : IDatabaseDialect
{
    public string Name => "sqlite";

    public void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString).AddInterceptors(SleepFunction.Instance);

    public IQueryable<Item> ItemsAfterServerWait(PlatformDbContext db, TimeSpan wait, int rows) =>
        db.Items.FromSql($"""
            WITH wait AS MATERIALIZED (SELECT platform_sleep({wait.TotalSeconds}) AS slept)
            SELECT i.id, i.name, i.price_cents FROM items AS i CROSS JOIN wait ORDER BY i.id LIMIT {rows}
            """).AsNoTracking();

    // substr on a BLOB counts bytes. The value is read like any other: in this process, on the calling thread.
    public IQueryable<Blob> BlobPrefix(PlatformDbContext db, int bytes) =>
        db.Blobs.FromSql($"SELECT b.id, substr(b.data, 1, {bytes}) AS data FROM blobs AS b WHERE b.id = {BlobSeed.Id}").AsNoTracking();

    // WAL lets readers proceed while a writer commits: orders under load would otherwise serialise reads.
    public Task PrepareAsync(PlatformDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

    private sealed class SleepFunction : DbConnectionInterceptor
    {
        public static readonly SleepFunction Instance = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Register(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Register(connection);
            return Task.CompletedTask;
        }

        private static void Register(DbConnection connection) =>
            ((SqliteConnection)connection).CreateFunction("platform_sleep", (double seconds) =>
            {
                Thread.Sleep(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 60)));
                return seconds;
            }, isDeterministic: false);
    }
}
