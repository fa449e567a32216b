using System.ComponentModel.DataAnnotations;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Platform.Api.Data;

public enum DatabaseProvider
{
    /// <summary>Embedded, a file, no set-up. Its async methods complete synchronously.</summary>
    Sqlite,

    /// <summary>A server: real network round trips, truly asynchronous I/O.</summary>
    Postgres,
}

public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Npgsql or Microsoft.Data.Sqlite connection string. Empty with SQLite: platform.db in the working directory.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Rows in the items table that the db workload reads from.</summary>
    [Range(1, 10_000)]
    public int SeedItems { get; set; } = 100;

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) && Provider == DatabaseProvider.Sqlite ? "Data Source=platform.db" : ConnectionString ?? "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("Database:ConnectionString is required when Database:Provider is Postgres.", [nameof(ConnectionString)]);
            yield break;
        }
        if (ParseError() is { } error)
        {
            yield return new ValidationResult($"Database:ConnectionString is not a valid {Provider} connection string: {error}", [nameof(ConnectionString)]);
        }
    }

    // A connection string for the other provider would otherwise only fail later, in endless retries.
    private string? ParseError()
    {
        try
        {
            if (Provider == DatabaseProvider.Postgres)
            {
                var postgres = new NpgsqlConnectionStringBuilder(EffectiveConnectionString);
                return string.IsNullOrEmpty(postgres.Host) ? "it names no Host." : null;
            }
            var sqlite = new SqliteConnectionStringBuilder(EffectiveConnectionString);
            return string.IsNullOrEmpty(sqlite.DataSource) ? "it names no Data Source." : null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            return ex.Message;
        }
    }
}
