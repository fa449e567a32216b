using System.ComponentModel.DataAnnotations;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Platform.Api.Data;

public enum DatabaseProvider
{
    /// <summary>Embedded, a file, no set-up. Its async methods complete synchronously.</summary>
    Sqlite,

    /// <summary>A server: real network round trips, truly asynchronous I/O.</summary>
    Postgres,

    /// <summary>A server: real round trips; asynchronous, but its async reads of large values are slow (see the blob workload).</summary>
    SqlServer,
}

public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Npgsql, Microsoft.Data.SqlClient or Microsoft.Data.Sqlite connection string. Empty with SQLite: platform.db in the working directory.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Rows in the items table that the db workload reads from.</summary>
    [Range(1, 10_000)]
    public int SeedItems { get; set; } = 100;

    /// <summary>
    /// SqlClient's default (true) reads a value that spans many TDS packets asynchronously by replaying the
    /// received packets from the start each time another one arrives, so the cost of one async read grows with
    /// the square of the value's size. False turns on SqlClient's newer packet multiplexer with a continue
    /// snapshot (its AppContext switches UseCompatibilityProcessSni and UseCompatibilityAsyncBehaviour both off;
    /// the second has no effect without the first). Process-wide, set once at start-up, SQL Server only.
    /// </summary>
    public bool SqlClientCompatibilityAsyncBehaviour { get; set; } = true;

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) && Provider == DatabaseProvider.Sqlite ? "Data Source=platform.db" : ConnectionString ?? "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider != DatabaseProvider.Sqlite && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult($"Database:ConnectionString is required when Database:Provider is {Provider}.", [nameof(ConnectionString)]);
            yield break;
        }
        if (ParseError() is { } error)
        {
            yield return new ValidationResult($"Database:ConnectionString is not a valid {Provider} connection string: {error}", [nameof(ConnectionString)]);
        }
    }

    // A connection string for another provider would otherwise only fail later, in endless retries.
    // The messages never echo the connection string: it may hold a password.
    private string? ParseError()
    {
        try
        {
            switch (Provider)
            {
                case DatabaseProvider.Postgres:
                    var postgres = new NpgsqlConnectionStringBuilder(EffectiveConnectionString);
                    return string.IsNullOrEmpty(postgres.Host) ? "it names no Host." : null;
                case DatabaseProvider.SqlServer:
                    return SqlServerParseError(new SqlConnectionStringBuilder(EffectiveConnectionString));
                default:
                    var sqlite = new SqliteConnectionStringBuilder(EffectiveConnectionString);
                    return string.IsNullOrEmpty(sqlite.DataSource) ? "it names no Data Source." : null;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return OneLine(ex.Message);
        }
    }

    private static string? SqlServerParseError(SqlConnectionStringBuilder sqlServer)
    {
        if (string.IsNullOrWhiteSpace(sqlServer.DataSource))
        {
            return "it names no Server (Data Source).";
        }
        // SqlClient accepts any text as a server name, so a SQLite file path would only fail at the first
        // connection, as a name-resolution error that never says why.
        if (sqlServer.DataSource.Contains('/', StringComparison.Ordinal))
        {
            return "its Server (Data Source) contains '/': that is a file path, not host[\\instance][,port].";
        }
        // Without a database the schema would be created in master.
        if (string.IsNullOrWhiteSpace(sqlServer.InitialCatalog))
        {
            return "it names no Database (Initial Catalog); the schema would otherwise be created in master.";
        }
        return null;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
