namespace Platform.Metrics.Tests;

public sealed class ExpositionFormatTests
{
    [Fact]
    public void Every_line_matches_the_text_format_and_every_sample_belongs_to_a_declared_family()
    {
        using var meter = new TestMeter();
        var collector = meter.StartCollector();
        RealisticInstruments.Record(meter.Meter);

        var text = collector.Scrape();
        var families = Exposition.Parse(text);

        Assert.All(families.Values, f => Assert.False(string.IsNullOrEmpty(f.Help), $"{f.Name} has HELP"));
        Assert.All(families.Values, f => Assert.NotEmpty(f.Samples));
        string[] expected =
            [
                "dotnet_gc_heap_total_allocated_bytes_total",
                "dotnet_gc_pause_time_seconds_total",
                "dotnet_process_cpu_time_seconds_total",
                "dotnet_process_memory_working_set_bytes",
                "dotnet_thread_pool_queue_length",
                "kestrel_active_connections",
                "platform_metrics_dropped_series_total",
                "platform_process_cpu_limit",
                "platform_thread_pool_min_threads",
                "platform_weird_values",
                "platform_workload_requests_total",
                "db_client_operation_duration_seconds",
                "http_server_request_duration_seconds",
            ];

        // Families come out sorted by name (the parser keeps them in output order).
        Assert.Equal(expected.Order(StringComparer.Ordinal), families.Keys);

        var weird = families["platform_weird_values"].Samples.ToDictionary(s => s.Labels["kind"], s => s.Value);
        Assert.Equal(double.PositiveInfinity, weird["pos"]);
        Assert.Equal(double.NegativeInfinity, weird["neg"]);
        Assert.True(double.IsNaN(weird["nan"]));
        Assert.Equal(1e-9, weird["tiny"]);

        // Two requests to one route in different tag order: one series.
        var getBuckets = families["http_server_request_duration_seconds"].Samples
            .Where(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Labels["http_request_method"] == "GET");
        Assert.Equal(2, Assert.Single(getBuckets).Value);
    }

    [Theory]
    [InlineData("orphan 1\n", "does not belong")]
    [InlineData("# TYPE a counter\nb 1\n", "does not belong")]
    [InlineData("# TYPE a counter\na{x=\"1\",x=\"2\"} 1\n", "duplicate label")]
    [InlineData("# TYPE a counter\na{x=\"unterminated} 1\n", "not a valid sample")]
    [InlineData("# TYPE a counter\na 1,5\n", "not a valid sample")]
    [InlineData("# TYPE a counter\na 1\n# TYPE a counter\n", "second TYPE")]
    [InlineData("# TYPE a counter\na 1\na 2\n", "duplicate series")]
    [InlineData("# TYPE h histogram\nh_total 1\n", "does not belong")]
    [InlineData("# TYPE a counter\na 1", "line feed")]
    public void The_test_parser_rejects_what_the_format_forbids(string text, string expectedError)
    {
        var error = Assert.Throws<FormatException>(() => Exposition.Parse(text));
        Assert.Contains(expectedError, error.Message, StringComparison.Ordinal);
    }
}
