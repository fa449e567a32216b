using System.Net;
using System.Text.Json;
using Platform.Api.Tests.Infrastructure;

namespace Platform.Api.Tests;

public sealed class WorkloadEndpointTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string, string> EveryWorkloadMode => new()
    {
        { "/io/delay/async?ms=20", "io-delay", "async" },
        { "/io/delay/sync?ms=20", "io-delay", "sync" },
        { "/io/delay/sync-over-async?ms=20", "io-delay", "sync-over-async" },
        { "/io/delay/task-run?ms=20", "io-delay", "task-run" },
        { "/io/http/async?ms=20", "io-http", "async" },
        { "/io/http/sync?ms=20", "io-http", "sync" },
        { "/io/http/sync-over-async?ms=20", "io-http", "sync-over-async" },
        { "/io/http/task-run?ms=20", "io-http", "task-run" },
        { "/db/async?ms=20&rows=5", "db", "async" },
        { "/db/sync?ms=20&rows=5", "db", "sync" },
        { "/db/sync-over-async?ms=20&rows=5", "db", "sync-over-async" },
        { "/db/task-run?ms=20&rows=5", "db", "task-run" },
        { "/db/blob/async?kb=16", "db-blob", "async" },
        { "/db/blob/sync?kb=16", "db-blob", "sync" },
        { "/db/blob/sync-over-async?kb=16", "db-blob", "sync-over-async" },
        { "/db/blob/task-run?kb=16", "db-blob", "task-run" },
        { "/cpu/sync?iterations=100000", "cpu", "sync" },
        { "/cpu/task-run?iterations=100000", "cpu", "task-run" },
        { "/fanout/sequential?calls=2&ms=10", "fanout", "sequential" },
        { "/fanout/when-all?calls=2&ms=10", "fanout", "when-all" },
    };

    [Theory]
    [MemberData(nameof(EveryWorkloadMode))]
    public async Task Every_mode_of_every_workload_answers_with_its_name_and_mode(string url, string workload, string mode)
    {
        var response = await api.Client.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(workload, body.RootElement.GetProperty("workload").GetString());
        Assert.Equal(mode, body.RootElement.GetProperty("mode").GetString());
        Assert.True(body.RootElement.GetProperty("elapsedMs").GetDouble() >= 0);
    }

    [Theory]
    [InlineData("async")]
    [InlineData("sync")]
    [InlineData("sync-over-async")]
    [InlineData("task-run")]
    public async Task A_delay_waits_at_least_the_requested_time(string mode)
    {
        var started = DateTime.UtcNow;
        var response = await api.Client.GetAsync($"/io/delay/{mode}?ms=150", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(140));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(150, body.RootElement.GetProperty("requestedMs").GetDouble());
        Assert.InRange(body.RootElement.GetProperty("elapsedMs").GetDouble(), 140, 10_000);
    }

    [Theory]
    [InlineData("/io/delay/bogus", "async, sync, sync-over-async, task-run")]
    [InlineData("/io/http/when-all", "async, sync, sync-over-async, task-run")]
    [InlineData("/db/sequential", "async, sync, sync-over-async, task-run")]
    [InlineData("/cpu/async", "sync, task-run")]
    [InlineData("/fanout/async", "sequential, when-all")]
    public async Task An_unknown_mode_is_a_404_problem_that_lists_the_valid_modes(string url, string valid)
    {
        var response = await api.Client.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains(valid, body.RootElement.GetProperty("detail").GetString());
        Assert.Equal(404, body.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/io/delay/async?ms=-1", "ms")]
    [InlineData("/io/delay/sync?ms=30001", "ms")]
    [InlineData("/io/delay/sync-over-async?ms=1.5", "ms")]
    [InlineData("/io/delay/task-run?ms=abc", "ms")]
    [InlineData("/io/http/async?ms=99999999999999999999", "ms")]
    [InlineData("/db/async?rows=0", "rows")]
    [InlineData("/db/sync?rows=101", "rows")]
    [InlineData("/db/task-run?ms=30001", "ms")]
    [InlineData("/cpu/sync?iterations=0", "iterations")]
    [InlineData("/cpu/task-run?iterations=100000001", "iterations")]
    [InlineData("/fanout/when-all?calls=0", "calls")]
    [InlineData("/fanout/sequential?calls=51", "calls")]
    [InlineData("/fanout/sequential?calls=50&ms=2000", "calls")]
    [InlineData("/downstream/delay?ms=-5", "ms")]
    public async Task An_out_of_range_parameter_is_a_400_problem_naming_it(string url, string parameter)
    {
        var response = await api.Client.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty(parameter, out var messages));
        Assert.Contains(parameter, messages[0].GetString());
    }

    [Fact]
    public async Task Several_bad_parameters_are_all_reported_at_once()
    {
        var response = await api.Client.GetAsync("/db/async?ms=-1&rows=1000", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var errors = body.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("ms", out _));
        Assert.True(errors.TryGetProperty("rows", out _));
    }

    [Fact]
    public async Task Cpu_work_is_deterministic_and_grows_with_iterations()
    {
        var small = await api.Client.GetAsync("/cpu/sync?iterations=1000", TestContext.Current.CancellationToken);
        var again = await api.Client.GetAsync("/cpu/task-run?iterations=1000", TestContext.Current.CancellationToken);
        var large = await api.Client.GetAsync("/cpu/sync?iterations=50000000", TestContext.Current.CancellationToken);

        using var a = JsonDocument.Parse(await small.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var b = JsonDocument.Parse(await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var c = JsonDocument.Parse(await large.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(a.RootElement.GetProperty("checksum").GetString(), b.RootElement.GetProperty("checksum").GetString());
        Assert.NotEqual(a.RootElement.GetProperty("checksum").GetString(), c.RootElement.GetProperty("checksum").GetString());
        Assert.True(c.RootElement.GetProperty("elapsedMs").GetDouble() > a.RootElement.GetProperty("elapsedMs").GetDouble());
    }

    [Fact]
    public async Task Fanout_when_all_overlaps_the_calls_and_sequential_adds_them_up()
    {
        var sequential = await api.Client.GetAsync("/fanout/sequential?calls=5&ms=100", TestContext.Current.CancellationToken);
        var whenAll = await api.Client.GetAsync("/fanout/when-all?calls=5&ms=100", TestContext.Current.CancellationToken);

        using var s = JsonDocument.Parse(await sequential.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var w = JsonDocument.Parse(await whenAll.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(s.RootElement.GetProperty("elapsedMs").GetDouble() >= 500);
        Assert.True(w.RootElement.GetProperty("elapsedMs").GetDouble() < 400);
    }

    [Fact]
    public async Task Downstream_waits_the_requested_time()
    {
        var response = await api.Client.GetAsync("/downstream/delay?ms=120", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(120, body.RootElement.GetProperty("waitedMs").GetDouble());
    }

    [Theory]
    [InlineData("POST", "/io/delay/async")]
    [InlineData("DELETE", "/orders/count")]
    [InlineData("PUT", "/cpu/sync")]
    public async Task A_wrong_method_is_a_405_problem(string method, string url)
    {
        var response = await api.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_path_is_a_404_problem()
    {
        var response = await api.Client.GetAsync("/no/such/thing", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
