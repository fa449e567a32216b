using Microsoft.EntityFrameworkCore;

namespace Platform.Api.Data;

public sealed class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    public DbSet<Item> Items => Set<Item>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Blob> Blobs => Set<Blob>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Plain snake_case names so the hand-written workload SQL reads the same on every provider.
        modelBuilder.Entity<Item>(item =>
        {
            item.ToTable("items");
            item.Property(i => i.Id).HasColumnName("id").ValueGeneratedNever();
            item.Property(i => i.Name).HasColumnName("name").HasMaxLength(100);
            item.Property(i => i.PriceCents).HasColumnName("price_cents");
        });
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.Item).HasColumnName("item").HasMaxLength(100);
            order.Property(o => o.Quantity).HasColumnName("quantity");
            order.Property(o => o.CreatedAtUtc).HasColumnName("created_at_utc");
        });
        // No length: varbinary(max) on SQL Server, bytea on PostgreSQL, BLOB on SQLite.
        modelBuilder.Entity<Blob>(blob =>
        {
            blob.ToTable("blobs");
            blob.Property(b => b.Id).HasColumnName("id").ValueGeneratedNever();
            blob.Property(b => b.Data).HasColumnName("data");
        });
    }
}
