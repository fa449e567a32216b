using Platform.Metrics;
using Platform.Operator.Signals;
using Platform.Testing;

namespace Platform.Operator.Tests.Signals;

/// <summary>The shared exposition reader (Platform.Metrics) on what the real API serves: the operator's input.</summary>
public sealed class ExpositionReaderTests
{
    [Fact]
    public async Task Reads_every_sample_the_real_api_serves()
    {
        await using var api = await ApiProcess.StartAsync();
        var text = await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        var samples = ExpositionReader.Read(text);

        var sampleLines = text.Split('\n').Count(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.Equal(sampleLines, samples.Count);
        Assert.Contains(samples, s => s.Name == SignalNames.ThreadCount);
        Assert.Contains(samples, s => s.Name == SignalNames.SchedulingDelayBucket && s.Labels["le"] == "+Inf");
    }
}
