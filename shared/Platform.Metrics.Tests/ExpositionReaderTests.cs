namespace Platform.Metrics.Tests;

public sealed class ExpositionReaderTests
{
    [Fact]
    public void Reads_names_labels_escapes_and_special_values()
    {
        var samples = ExpositionReader.Read("""
            # HELP x_total A counter.
            # TYPE x_total counter
            x_total{path="/a\"b\\c",kind="worker"} 12.5
            y NaN
            z{le="+Inf"} +Inf
            not a sample line
            """);

        Assert.Equal(3, samples.Count);
        Assert.Equal("/a\"b\\c", samples[0].Labels["path"]);
        Assert.Equal(12.5, samples[0].Value);
        Assert.True(double.IsNaN(samples[1].Value));
        Assert.Equal(double.PositiveInfinity, samples[2].Value);
    }
}
