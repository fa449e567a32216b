using Platform.Operator.Signals;

namespace Platform.Operator.Tests.Signals;

public sealed class HistogramQuantileTests
{
    private static readonly (double, double)[] Buckets = [(0.1, 10), (0.5, 50), (1, 90), (double.PositiveInfinity, 100)];

    [Theory]
    [InlineData(0.1, 0.1)]    // rank 10 = the top of the first bucket
    [InlineData(0.05, 0.05)]  // rank 5: halfway through [0, 0.1]
    [InlineData(0.3, 0.3)]    // rank 30: halfway through (0.1, 0.5]
    [InlineData(0.9, 1.0)]    // rank 90: top of (0.5, 1]
    [InlineData(0.95, 1.0)]   // rank 95 is in +Inf: the highest finite bound, as Prometheus answers
    public void Interpolates_within_the_bucket_like_prometheus(double quantile, double expected)
    {
        Assert.Equal(expected, HistogramQuantile.Compute(quantile, Buckets)!.Value, 9);
    }

    [Fact]
    public void No_observations_is_no_answer() =>
        Assert.Null(HistogramQuantile.Compute(0.9, [(0.1, 0), (double.PositiveInfinity, 0)]));

    [Fact]
    public void Without_an_infinity_bucket_there_is_no_answer() =>
        Assert.Null(HistogramQuantile.Compute(0.9, [(0.1, 3), (1, 5)]));

    [Fact]
    public void Bucket_order_does_not_matter() =>
        Assert.Equal(HistogramQuantile.Compute(0.3, Buckets), HistogramQuantile.Compute(0.3, Buckets.Reverse()));
}
