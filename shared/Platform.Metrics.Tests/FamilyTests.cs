using System.Diagnostics.Metrics;

namespace Platform.Metrics.Tests;

public sealed class FamilyTests
{
    [Fact]
    public void Same_name_and_type_from_two_meters_merge_into_one_family()
    {
        using var first = new TestMeter();
        using var second = new Meter(first.Name + ".second");
        var collector = first.StartCollector(o => o.Meters.Add(second.Name));

        first.Meter.CreateCounter<int>("shared.events").Add(1, new KeyValuePair<string, object?>("source", "first"));
        second.CreateCounter<int>("shared.events").Add(2, new KeyValuePair<string, object?>("source", "second"));
        first.Meter.CreateCounter<int>("shared.total").Add(3);
        second.CreateCounter<int>("shared.total").Add(4);

        var text = collector.Scrape();
        var families = Exposition.Parse(text);

        Assert.Equal(1, CountOccurrences(text, "# TYPE shared_events_total counter\n"));
        Assert.Equal(2, families["shared_events_total"].Samples.Count);

        // The same label set from both instruments is one series: counters add up
        // ("shared.total" already ends in _total, which is not doubled).
        Assert.Equal(7, Assert.Single(families["shared_total"].Samples).Value);
    }

    [Fact]
    public void Same_name_with_a_different_type_keeps_the_first_and_skips_the_other()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateUpDownCounter<int>("conflict").Add(5);
        meter.Meter.CreateObservableGauge("conflict", () => 99);

        var text = collector.Scrape();
        var family = Exposition.Parse(text)["conflict"];

        Assert.Equal("gauge", family.Type);
        Assert.Equal(5, Assert.Single(family.Samples).Value);

        using var other = new TestMeter();
        var otherCollector = other.StartCollector();
        other.Meter.CreateObservableGauge("clash_total", () => 1);
        other.Meter.CreateCounter<int>("clash").Add(2);

        var clash = Exposition.Parse(otherCollector.Scrape())["clash_total"];
        Assert.Equal("gauge", clash.Type);
        Assert.Equal(1, Assert.Single(clash.Samples).Value);
        Assert.Equal(1, otherCollector.SkippedInstruments);
    }

    [Fact]
    public void Families_are_sorted_by_name()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<int>("zeta").Add(1);
        meter.Meter.CreateCounter<int>("alpha").Add(1);
        meter.Meter.CreateCounter<int>("mid").Add(1);

        var names = Exposition.Parse(collector.Scrape()).Keys.ToList();

        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Contains("alpha_total", names);
        Assert.Contains("zeta_total", names);
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
