using System.Globalization;

namespace Platform.Metrics.Tests;

public sealed class PrometheusNamingTests
{
    [Theory]
    // The examples the API depends on.
    [InlineData("dotnet.process.cpu.time", "s", "counter", "dotnet_process_cpu_time_seconds_total")]
    [InlineData("dotnet.thread_pool.queue.length", "{work_item}", "gauge", "dotnet_thread_pool_queue_length")]
    [InlineData("dotnet.thread_pool.work_item.count", "{work_item}", "counter", "dotnet_thread_pool_work_item_count_total")]
    [InlineData("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds")]
    [InlineData("dotnet.process.memory.working_set", "By", "gauge", "dotnet_process_memory_working_set_bytes")]
    [InlineData("kestrel.active_connections", "{connection}", "gauge", "kestrel_active_connections")]
    // Unit suffixes.
    [InlineData("latency", "ms", "histogram", "latency_milliseconds")]
    [InlineData("latency", "us", "histogram", "latency_microseconds")]
    [InlineData("latency", "ns", "histogram", "latency_nanoseconds")]
    [InlineData("cache.size", "KiBy", "gauge", "cache_size_kibibytes")]
    [InlineData("cache.size", "MiBy", "gauge", "cache_size_mebibytes")]
    [InlineData("cpu.usage", "%", "gauge", "cpu_usage_percent")]
    [InlineData("cpu.utilization", "1", "gauge", "cpu_utilization_ratio")]
    [InlineData("retries", "1", "counter", "retries_total")]
    [InlineData("request.size", "1", "histogram", "request_size")]
    [InlineData("requests", "{request}", "counter", "requests_total")]
    [InlineData("network.io", "By/s", "gauge", "network_io_bytes_per_second")]
    [InlineData("requests.rate", "{request}/s", "gauge", "requests_rate_per_second")]
    [InlineData("widgets.made", "widgets", "counter", "widgets_made_widgets_total")]
    [InlineData("odd.unit", "wid-gets", "gauge", "odd_unit_wid_gets")]
    [InlineData("no.unit", null, "gauge", "no_unit")]
    [InlineData("empty.unit", "", "gauge", "empty_unit")]
    // Name already carries the unit or _total: no doubling.
    [InlineData("request_duration_seconds", "s", "histogram", "request_duration_seconds")]
    [InlineData("bytes.sent_bytes", "By", "counter", "bytes_sent_bytes_total")]
    [InlineData("requests_total", "{request}", "counter", "requests_total")]
    [InlineData("cpu.time_total", "s", "counter", "cpu_time_seconds_total")]
    [InlineData("queue.length_total", null, "gauge", "queue_length_total")]
    // Character rules.
    [InlineData("my-app/requests count", null, "gauge", "my_app_requests_count")]
    [InlineData("a..b__c", null, "gauge", "a_b_c")]
    [InlineData("9lives", null, "gauge", "_9lives")]
    [InlineData("ns:metric", null, "gauge", "ns:metric")]
    [InlineData("größe", null, "gauge", "gr_e")]
    [InlineData("trailing.", "s", "counter", "trailing_seconds_total")]
    public void Metric_names_follow_the_OpenTelemetry_to_Prometheus_rules(string instrument, string? unit, string type, string expected)
    {
        var metricType = Enum.Parse<PrometheusMetricType>(type, ignoreCase: true);
        Assert.Equal(expected, PrometheusNaming.GetMetricName(instrument, unit, metricType));
    }

    [Theory]
    [InlineData("http.route", "http_route")]
    [InlineData("cpu.mode", "cpu_mode")]
    [InlineData("__name__", "key_name_")]
    [InlineData("__private", "key_private")]
    [InlineData("_leading", "_leading")]
    [InlineData("1st", "_1st")]
    [InlineData("a-b c", "a_b_c")]
    [InlineData("a..b", "a_b")]
    [InlineData("ns:key", "ns_key")]
    [InlineData("already_fine", "already_fine")]
    public void Label_names_are_sanitised_and_reserved_prefixes_avoided(string key, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.SanitizeLabelName(key));
    }

    public static TheoryData<object?, string> LabelValues => new()
    {
        { null, "" },
        { "text", "text" },
        { true, "true" },
        { false, "false" },
        { 42, "42" },
        { -7L, "-7" },
        { 1.5, "1.5" },
        { 0.1f, "0.1" },
        { 2.50m, "2.50" },
        { double.PositiveInfinity, "+Inf" },
    };

    [Theory]
    [MemberData(nameof(LabelValues))]
    public void Label_values_use_the_invariant_string_form(object? value, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.FormatLabelValue(value));
    }

    [Fact]
    public void Label_values_and_samples_do_not_depend_on_the_current_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        var commaDecimals = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaDecimals.NumberFormat.NumberDecimalSeparator = ",";
        commaDecimals.NumberFormat.NegativeSign = "~";
        try
        {
            CultureInfo.CurrentCulture = commaDecimals;
            Assert.Equal("1.25", PrometheusNaming.FormatLabelValue(1.25));
            Assert.Equal("-3", PrometheusNaming.FormatLabelValue(-3));
            Assert.Equal("-0.5", PrometheusTextWriter.FormatDouble(-0.5));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
