using System.Data;
using System.Globalization;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;

namespace Platform.Api.Data;

/// <summary>
/// SQL Server through EF Core and Microsoft.Data.SqlClient. The server waits with WAITFOR DELAY, which is a
/// statement and cannot sit in a CTE or a subquery as pg_sleep does: the query is a batch of two statements,
/// sent exactly as written (EF Core does not compose it, since nothing is added to it).
/// </summary>
internal sealed class SqlServerDialect : IDatabaseDialect
{
    /// <summary>The AppContext switches behind <see cref="DatabaseOptions.SqlClientCompatibilityAsyncBehaviour"/>.</summary>
    public const string UseCompatibilityProcessSniSwitch = "Switch.Microsoft.Data.SqlClient.UseCompatibilityProcessSni";

    public const string UseCompatibilityAsyncBehaviourSwitch = "Switch.Microsoft.Data.SqlClient.UseCompatibilityAsyncBehaviour";

    public string Name => "sqlserver";

    /// <summary>
    /// Sets SqlClient's two async-read switches for the whole process. SqlClient reads each once, on first use,
    /// so this must run before the first query; DatabaseServices calls it when it builds the dialect.
    /// </summary>
    public static void ApplySqlClientSwitches(bool compatibilityAsyncBehaviour)
    {
        AppContext.SetSwitch(UseCompatibilityProcessSniSwitch, compatibilityAsyncBehaviour);
        AppContext.SetSwitch(UseCompatibilityAsyncBehaviourSwitch, compatibilityAsyncBehaviour);
    }

    public void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlServer(connectionString);

    // WAITFOR DELAY takes a variable of character type holding 'hh:mm:ss.fff' (the wait is at most 30 s).
    public IQueryable<Item> ItemsAfterServerWait(PlatformDbContext db, TimeSpan wait, int rows)
    {
        var delay = new SqlParameter("delay", SqlDbType.VarChar, 12) { Value = wait.ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture) };
        return db.Items.FromSql($"""
            WAITFOR DELAY {delay};
            SELECT TOP ({rows}) i.id, i.name, i.price_cents FROM items AS i ORDER BY i.id
            """).AsNoTracking();
    }

    // SUBSTRING of a varbinary(max) is a varbinary(max): the value still streams in as one multi-packet value.
    public IQueryable<Blob> BlobPrefix(PlatformDbContext db, int bytes) =>
        db.Blobs.FromSql($"SELECT b.id, SUBSTRING(b.data, 1, {bytes}) AS data FROM blobs AS b WHERE b.id = {BlobSeed.Id}").AsNoTracking();

    public Task PrepareAsync(PlatformDbContext db, CancellationToken cancellationToken) => Task.CompletedTask;
}
