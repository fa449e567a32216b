using Microsoft.EntityFrameworkCore;

namespace Platform.Api.Data;

internal sealed class PostgresDialect : IDatabaseDialect
{
    public string Name => "postgres";

    public void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString);

    // MATERIALIZED makes the server evaluate pg_sleep exactly once, however many rows follow.
    public IQueryable<Item> ItemsAfterServerWait(PlatformDbContext db, TimeSpan wait, int rows) =>
        db.Items.FromSql($"""
            WITH wait AS MATERIALIZED (SELECT pg_sleep({wait.TotalSeconds}))
            SELECT i.id, i.name, i.price_cents FROM items AS i CROSS JOIN wait ORDER BY i.id LIMIT {rows}
            """).AsNoTracking();

    public IQueryable<Blob> BlobPrefix(PlatformDbContext db, int bytes) =>
        db.Blobs.FromSql($"SELECT b.id, substring(b.data FROM 1 FOR {bytes}) AS data FROM blobs AS b WHERE b.id = {BlobSeed.Id}").AsNoTracking();

    public Task PrepareAsync(PlatformDbContext db, CancellationToken cancellationToken) => Task.CompletedTask;
}
