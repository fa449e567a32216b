using Platform.Testing;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>A throwaway PostgreSQL cluster (initdb in a temp dir, 127.0.0.1, a free port) and an API on it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public ApiFactory Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public const string Database = "platform_test";

    public async ValueTask InitializeAsync()
    {
        Server = await PostgresServer.StartAsync();
        Factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            // Well below the server's max_connections (200), so psql checks always get a slot.
            ["Database:ConnectionString"] = Server.ConnectionStringFor(Database) + ";Maximum Pool Size=100",
        });
        Client = await Factory.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
