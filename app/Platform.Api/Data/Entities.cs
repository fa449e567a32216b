namespace Platform.Api.Data;

/// <summary>A catalogue row: what the db workload reads.</summary>
public sealed class Item
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public long PriceCents { get; set; }
}

/// <summary>An order: what POST /orders writes, and what must never be lost.</summary>
public sealed class Order
{
    public Guid Id { get; set; }

    public required string Item { get; set; }

    public int Quantity { get; set; }

    public DateTime CreatedAtUtc { get; set; }
}
