namespace Platform.Metrics;

/// <summary>
/// The attribute set of one series, used as a dictionary key. Equality ignores tag order so that the
/// same tags passed in a different order land in the same series.
/// </summary>
internal sealed class TagSet
{
    private TagSet(KeyValuePair<string, object?>[] tags, int hash)
    {
        Tags = tags;
        Hash = hash;
    }

    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>Order-independent hash, computed once so lookups of a live series never rehash the key.</summary>
    public int Hash { get; }

    public static TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        new(tags.ToArray(), ComputeHash(tags));

    public static int ComputeHash(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Summing per-tag hashes makes the result independent of order.
        var hash = tags.Length;
        foreach (var tag in tags)
        {
            hash = unchecked(hash + HashCode.Combine(tag.Key, tag.Value));
        }

        return hash;
    }

    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> other)
    {
        var mine = Tags;
        if (mine.Length != other.Length)
        {
            return false;
        }

        for (var i = 0; i < other.Length; i++)
        {
            // Callers almost always pass tags in the same order: try the same position first.
            if (!TagEquals(mine[i], other[i]) && !Contains(mine, other[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(KeyValuePair<string, object?>[] tags, KeyValuePair<string, object?> tag)
    {
        foreach (var candidate in tags)
        {
            if (TagEquals(candidate, tag))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TagEquals(KeyValuePair<string, object?> a, KeyValuePair<string, object?> b) =>
        string.Equals(a.Key, b.Key, StringComparison.Ordinal) && Equals(a.Value, b.Value);
}

/// <summary>A measurement's tags as a lookup key that costs no allocation.</summary>
internal readonly ref struct TagSpan(ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; } = tags;
}

/// <summary>
/// Compares <see cref="TagSet"/> keys with each other and with <see cref="TagSpan"/>, so the hot path
/// can find an existing series straight from the measurement's span (ConcurrentDictionary alternate lookup).
/// </summary>
internal sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<TagSpan, TagSet>
{
    public static TagSetComparer Instance { get; } = new();

    public bool Equals(TagSet? x, TagSet? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && x.Matches(y.Tags));

    public int GetHashCode(TagSet obj) => obj.Hash;

    public bool Equals(TagSpan alternate, TagSet other) => other.Matches(alternate.Tags);

    public int GetHashCode(TagSpan alternate) => TagSet.ComputeHash(alternate.Tags);

    public TagSet Create(TagSpan alternate) => TagSet.Create(alternate.Tags);
}
