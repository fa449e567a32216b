namespace Platform.Metrics.Tests;

public sealed class LabelTests
{
    [Fact]
    public void Label_values_are_escaped_in_the_exposition()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<int>("escapes").Add(1, new KeyValuePair<string, object?>("path", "C:\\dir \"quoted\"\nnext"));

        var text = collector.Scrape();

        Assert.Contains("escapes_total{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 1\n", text, StringComparison.Ordinal);
        Assert.Equal("C:\\dir \"quoted\"\nnext", Assert.Single(Exposition.Parse(text)["escapes_total"].Samples).Labels["path"]);
    }

    [Fact]
    public void Help_is_escaped_and_falls_back_to_the_instrument_name()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<int>("described", description: "Path like C:\\x\nsecond line").Add(1);
        meter.Meter.CreateCounter<int>("undescribed").Add(1);

        var text = collector.Scrape();

        Assert.Contains("# HELP described_total Path like C:\\\\x\\nsecond line\n", text, StringComparison.Ordinal);
        Assert.Contains("# HELP undescribed_total undescribed\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_are_sorted_by_name_and_reordered_tag_sets_are_one_series()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<int>("requests");

        counter.Add(1, new("z.last", "z"), new("http.route", "/x"), new("a.first", "a"));
        counter.Add(2, new("a.first", "a"), new("z.last", "z"), new("http.route", "/x"));
        counter.Add(4, new("http.route", "/x"), new("a.first", "a"), new("z.last", "z"));

        var text = collector.Scrape();

        Assert.Contains("requests_total{a_first=\"a\",http_route=\"/x\",z_last=\"z\"} 7\n", text, StringComparison.Ordinal);
        Assert.Single(Exposition.Parse(text)["requests_total"].Samples);
    }

    [Fact]
    public void Null_values_are_empty_strings_and_bools_are_lower_case()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<int>("flags").Add(1, new("enabled", true), new("missing", null), new("count", 3));

        var labels = Assert.Single(Exposition.Parse(collector.Scrape())["flags_total"].Samples).Labels;

        Assert.Equal("true", labels["enabled"]);
        Assert.Equal("", labels["missing"]);
        Assert.Equal("3", labels["count"]);
    }

    [Fact]
    public void Reserved_and_colliding_label_names_still_give_a_valid_series()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        meter.Meter.CreateCounter<int>("collide").Add(1, new("__internal", "r"), new("a.b", "1"), new("a_b", "2"));

        var labels = Assert.Single(Exposition.Parse(collector.Scrape())["collide_total"].Samples).Labels;

        Assert.Equal("r", labels["key_internal"]);
        Assert.Equal("1;2", labels["a_b"]);
    }

    [Fact]
    public void Series_are_sorted_by_labels_for_a_stable_output()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        var counter = meter.Meter.CreateCounter<int>("hits");
        counter.Add(1, new KeyValuePair<string, object?>("route", "/c"));
        counter.Add(1, new KeyValuePair<string, object?>("route", "/a"));
        counter.Add(1, new KeyValuePair<string, object?>("route", "/b"));

        var routes = Exposition.Parse(collector.Scrape())["hits_total"].Samples.Select(s => s.Labels["route"]);

        Assert.Equal(["/a", "/b", "/c"], routes);
    }
}
