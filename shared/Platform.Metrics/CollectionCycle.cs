namespace Platform.Metrics;

/// <summary>State shared by a collector and all its instrument states.</summary>
internal sealed class CollectionCycle
{
    private long _current;
    private long _droppedSeries;

    /// <summary>Number of the scrape in progress; observable measurements are stamped with it.</summary>
    public long Current => Volatile.Read(ref _current);

    public long DroppedSeries => Interlocked.Read(ref _droppedSeries);

    public long Advance() => Interlocked.Increment(ref _current);

    public void CountDroppedSeries() => Interlocked.Increment(ref _droppedSeries);
}
