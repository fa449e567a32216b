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

/// <summary>A large binary value: what the db blob workload reads a prefix of.</summary>
public sealed class Blob
{
    public int Id { get; set; }

    public required byte[] Data { get; set; }
}
