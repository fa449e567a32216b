using System.ComponentModel.DataAnnotations;

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
        }
    }
}
