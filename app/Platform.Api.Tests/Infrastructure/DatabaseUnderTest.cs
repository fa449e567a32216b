using System.Globalization;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Platform.Testing;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>
/// One database provider with an in-process API on it: the name the API reports, its client, and a way to ask
/// the database itself (not the API) how many rows a table holds.
/// </summary>
public abstract class DatabaseUnderTest : IAsyncDisposable
{
    public abstract string Provider { get; }

    public ApiFactory Factory { get; protected set; } = null!;

    public HttpClient Client { get; protected set; } = null!;

    /// <summary>True when the provider's async ADO.NET methods do real asynchronous I/O (false for SQLite).</summary>
    public abstract bool HasAsyncIo { get; }

    /// <summary>select count(*) from <paramref name="table"/>, through the provider's own client, not the API.</summary>
    public abstract Task<long> CountRowsAsync(string table, CancellationToken cancellationToken);

    protected async Task StartApiAsync(IDictionary<string, string?> settings)
    {
        Factory = new ApiFactory(settings);
        Client = await Factory.StartAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>SQLite: the API's own file in a temp directory.</summary>
public sealed class SqliteUnderTest : DatabaseUnderTest
{
    public override string Provider => "sqlite";

    public override bool HasAsyncIo => false;

    public static async Task<SqliteUnderTest> StartAsync()
    {
        var db = new SqliteUnderTest();
        await db.StartApiAsync(new Dictionary<string, string?>());
        return db;
    }

    public override async Task<long> CountRowsAsync(string table, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(Factory.DatabaseConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"select count(*) from {table}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}

/// <summary>A throwaway PostgreSQL cluster (initdb in a temp dir, 127.0.0.1, a free port); counts through psql.</summary>
public sealed class PostgresUnderTest : DatabaseUnderTest
{
    public const string Database = "platform_test";

    public PostgresServer Server { get; private set; } = null!;

    public override string Provider => "postgres";

    public override bool HasAsyncIo => true;

    public static async Task<PostgresUnderTest> StartAsync()
    {
        var db = new PostgresUnderTest { Server = await PostgresServer.StartAsync() };
        try
        {
            await db.StartApiAsync(new Dictionary<string, string?>
            {
                ["Database:Provider"] = "Postgres",
                // Well below the server's max_connections (200), so psql checks always get a slot.
                ["Database:ConnectionString"] = db.Server.ConnectionStringFor(Database) + ";Maximum Pool Size=100",
            });
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    public override async Task<long> CountRowsAsync(string table, CancellationToken cancellationToken) =>
        long.Parse((await Server.ExecuteSqlAsync($"select count(*) from {table}", Database, cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>
/// A real SQL Server named by SQLSERVER_CONNECTION_STRING (a login that may create databases): the API gets a
/// database of its own, platform_test_&lt;random&gt;, dropped afterwards. No SQL Server can be installed on the
/// machines this repository is built on, so without the variable these tests skip and say why.
/// </summary>
public sealed class SqlServerUnderTest : DatabaseUnderTest
{
    public const string Variable = "SQLSERVER_CONNECTION_STRING";

    public const string SkipReason =
        Variable + " is not set, so the SQL Server round trips are skipped: no SQL Server package can be installed on this " +
        "machine. Set it to a SQL Server 2022 connection string whose login may create databases (e.g. " +
        "'Server=127.0.0.1,1433;User ID=sa;Password=...;TrustServerCertificate=True') to run them.";

    private string _masterConnectionString = "";
    private string _database = "";

    public override string Provider => "sqlserver";

    public override bool HasAsyncIo => true;

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static async Task<SqlServerUnderTest> StartAsync()
    {
        var server = new SqlConnectionStringBuilder(ConnectionString ?? throw new InvalidOperationException(SkipReason));
        var database = $"platform_test_{Guid.NewGuid():N}";
        var db = new SqlServerUnderTest
        {
            _database = database,
            _masterConnectionString = new SqlConnectionStringBuilder(server.ConnectionString) { InitialCatalog = "master" }.ConnectionString,
        };
        try
        {
            await db.StartApiAsync(new Dictionary<string, string?>
            {
                ["Database:Provider"] = "SqlServer",
                ["Database:ConnectionString"] = new SqlConnectionStringBuilder(server.ConnectionString) { InitialCatalog = database, MaxPoolSize = 100 }.ConnectionString,
            });
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    public override async Task<long> CountRowsAsync(string table, CancellationToken cancellationToken)
    {
        await using var connection = new SqlConnection(Factory.DatabaseConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"select count_big(*) from {table}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database.Length == 0 || _masterConnectionString.Length == 0)
        {
            return;
        }
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(_masterConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"IF DB_ID(N'{_database}') IS NOT NULL BEGIN ALTER DATABASE [{_database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_database}]; END";
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// Every provider, each started on first use and kept for the test class: SQLite always, PostgreSQL (initdb and
/// pg_ctl must be installed), SQL Server where <see cref="SqlServerUnderTest.Variable"/> is set.
/// </summary>
public sealed class DatabaseProviders : IAsyncLifetime
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string SqlServer = "sqlserver";

    public static readonly string[] All = [Sqlite, Postgres, SqlServer];

    private readonly Dictionary<string, Lazy<Task<DatabaseUnderTest>>> _started = new()
    {
        [Sqlite] = new(async () => await SqliteUnderTest.StartAsync()),
        [Postgres] = new(async () => await PostgresUnderTest.StartAsync()),
        [SqlServer] = new(async () => await SqlServerUnderTest.StartAsync()),
    };

    /// <summary>The provider's database and API; skips the calling test, saying why, when SQL Server is not available.</summary>
    public Task<DatabaseUnderTest> GetAsync(string provider)
    {
        if (provider == SqlServer && SqlServerUnderTest.ConnectionString is null)
        {
            Assert.Skip(SqlServerUnderTest.SkipReason);
        }
        return _started[provider].Value;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Stops every provider that was started, each even if another fails to stop; then reports the failures.</summary>
    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        foreach (var (provider, started) in _started.Where(s => s.Value.IsValueCreated))
        {
            try
            {
                await (await started.Value).DisposeAsync();
            }
            catch (Exception) when (!started.Value.IsCompletedSuccessfully)
            {
                // It never started; the test that asked for it has already failed with the reason.
            }
            catch (Exception ex)
            {
                failures.Add(new InvalidOperationException($"Stopping the {provider} provider failed: {ex.Message}", ex));
            }
        }
        if (failures.Count > 0)
        {
            throw new AggregateException(failures);
        }
    }
}
