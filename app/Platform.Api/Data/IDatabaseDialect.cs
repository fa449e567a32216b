using Microsoft.EntityFrameworkCore;

namespace Platform.Api.Data;

/// <summary>What differs between the database providers, and nothing more.</summary>
public interface IDatabaseDialect
{
    /// <summary>The provider's name in responses and logs: "sqlite", "postgres" or "sqlserver".</summary>
    string Name { get; }

    void Configure(DbContextOptionsBuilder options, string connectionString);

    /// <summary>
    /// The first <paramref name="rows"/> items, read after the database itself has waited
    /// <paramref name="wait"/>, in one round trip: the query is slow on the server, not in this process.
    /// </summary>
    IQueryable<Item> ItemsAfterServerWait(PlatformDbContext db, TimeSpan wait, int rows);

    /// <summary>
    /// The seeded blob row with its value cut to the first <paramref name="bytes"/> bytes by the database, so
    /// one large value of the requested size crosses the wire and EF Core materialises it as a byte[].
    /// </summary>
    IQueryable<Blob> BlobPrefix(PlatformDbContext db, int bytes);

    /// <summary>Provider-specific set-up after the schema exists.</summary>
    Task PrepareAsync(PlatformDbContext db, CancellationToken cancellationToken);
}
