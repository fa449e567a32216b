namespace Platform.Operator.Signals;

/// <summary>
/// histogram_quantile as Prometheus computes it: find the bucket holding the rank, interpolate linearly
/// inside it; a rank in the +Inf bucket answers the highest finite bound.
/// </summary>
public static class HistogramQuantile
{
    /// <param name="buckets">Cumulative counts by upper bound (le), any order; must include +Inf.</param>
    public static double? Compute(double quantile, IEnumerable<(double UpperBound, double Count)> buckets)
    {
        var sorted = buckets.OrderBy(b => b.UpperBound).ToList();
        if (sorted.Count < 2 || !double.IsPositiveInfinity(sorted[^1].UpperBound))
        {
            return null;
        }
        var total = sorted[^1].Count;
        if (total <= 0)
        {
            return null;
        }
        var rank = quantile * total;
        var index = sorted.FindIndex(b => b.Count >= rank);
        if (double.IsPositiveInfinity(sorted[index].UpperBound))
        {
            return sorted[^2].UpperBound;
        }
        var lowerBound = index == 0 ? 0 : sorted[index - 1].UpperBound;
        var lowerCount = index == 0 ? 0 : sorted[index - 1].Count;
        var inBucket = sorted[index].Count - lowerCount;
        if (index == 0 && sorted[0].UpperBound <= 0)
        {
            return sorted[0].UpperBound;
        }
        return inBucket <= 0 ? sorted[index].UpperBound : lowerBound + ((sorted[index].UpperBound - lowerBound) * (rank - lowerCount) / inBucket);
    }
}
