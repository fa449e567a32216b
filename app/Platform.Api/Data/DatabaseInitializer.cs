using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Platform.Api.Data;

/// <summary>
/// Creates the schema and seed rows in the background, retrying until the database answers: in a
/// cluster the API may start before its database server does, and it should be live (not ready) meanwhile.
/// Several replicas may race here; explicit seed keys make the loser fail and retry instead of duplicating.
/// </summary>
internal sealed partial class DatabaseInitializer(
    IServiceScopeFactory scopes,
    IDatabaseDialect dialect,
    IOptions<DatabaseOptions> options,
    DatabaseState state,
    ILogger<DatabaseInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(stoppingToken);
                state.MarkReady();
                LogReady(logger, dialect.Name);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                state.MarkFailed(ex.Message);
                LogRetry(logger, dialect.Name, backoff.TotalMilliseconds, ex.Message);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await db.Database.EnsureCreatedAsync(cancellationToken);
        await CreateTablesAddedSinceAsync(db, cancellationToken);
        await dialect.PrepareAsync(db, cancellationToken);
        if (!await db.Items.AnyAsync(cancellationToken))
        {
            db.Items.AddRange(Enumerable.Range(1, options.Value.SeedItems)
                .Select(i => new Item { Id = i, Name = $"item-{i:D5}", PriceCents = 100 + (i * 37 % 9900) }));
            await db.SaveChangesAsync(cancellationToken);
        }
        if (!await db.Blobs.AnyAsync(cancellationToken))
        {
            db.Blobs.Add(new Blob { Id = BlobSeed.Id, Data = BlobSeed.Create() });
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>
    /// EnsureCreated does nothing to a database that already has tables, so one created by an earlier version
    /// (a PostgreSQL volume kept across an upgrade, a local platform.db) would lack the blobs table for ever and
    /// the API would never become ready. Creates it from the model, with the provider's own DDL. A replica that
    /// loses the race fails here and retries, then finds the table.
    /// </summary>
    private async Task CreateTablesAddedSinceAsync(PlatformDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.Blobs.AnyAsync(cancellationToken);
            return;
        }
        catch (DbException ex)
        {
            LogAddingTable(logger, "blobs", ex.Message);
        }
        var model = db.GetService<IDesignTimeModel>().Model;
        var create = db.GetService<IMigrationsModelDiffer>().GetDifferences(null, model.GetRelationalModel())
            .OfType<CreateTableOperation>()
            .Where(operation => operation.Name == "blobs")
            .ToList<MigrationOperation>();
        var commands = db.GetService<IMigrationsSqlGenerator>().Generate(create, model);
        await db.GetService<IMigrationCommandExecutor>().ExecuteNonQueryAsync(commands, db.GetService<IRelationalConnection>(), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database has no {Table} table (created by an earlier version?); creating it: {Error}")]
    private static partial void LogAddingTable(ILogger logger, string table, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready ({Provider})")]
    private static partial void LogReady(ILogger logger, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database ({Provider}) not ready, retrying in {BackoffMs} ms: {Error}")]
    private static partial void LogRetry(ILogger logger, string provider, double backoffMs, string error);
}
