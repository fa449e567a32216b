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

        builder.Services.AddSingleton<IDatabaseDialect>(sp =>
            sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider switch
            {
                DatabaseProvider.Postgres => new PostgresDialect(),
                _ => new SqliteDialect(),
            });
        builder.Services.AddDbContextPool<PlatformDbContext>((sp, db) =>
            sp.GetRequiredService<IDatabaseDialect>().Configure(db, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.EffectiveConnectionString));
        builder.Services.AddSingleton<DatabaseState>();
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }
}
