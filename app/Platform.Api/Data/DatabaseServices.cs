using Microsoft.Extensions.Options;

namespace Platform.Api.Data;

internal static class DatabaseServices
{
    public static WebApplicationBuilder AddPlatformDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<IDatabaseDialect>(sp => Create(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        builder.Services.AddDbContextPool<PlatformDbContext>((sp, db) =>
            sp.GetRequiredService<IDatabaseDialect>().Configure(db, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.EffectiveConnectionString));
        builder.Services.AddSingleton<DatabaseState>();
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }

    private static IDatabaseDialect Create(DatabaseOptions options)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                return new PostgresDialect();
            case DatabaseProvider.SqlServer:
                // Before the first connection: SqlClient reads its switches once.
                SqlServerDialect.ApplySqlClientSwitches(options.SqlClientCompatibilityAsyncBehaviour);
                return new SqlServerDialect();
            default:
                return new SqliteDialect();
        }
    }
}
