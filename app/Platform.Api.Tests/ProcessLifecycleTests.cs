using System.Net;
using System.Net.Http.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.ThreadPoolControl;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>Start-up settings, runtime refusals and SIGTERM, on the API as its own process.</summary>
public sealed class ProcessLifecycleTests
{
    [Fact]
    public async Task Initial_min_threads_come_from_configuration()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["ThreadPool__MinWorkerThreads"] = "17",
            ["ThreadPool__MinIoThreads"] = "9",
        });

        var snapshot = await (await api.Client.SendAsync(api.AdminRequest(HttpMethod.Get, "/admin/threadpool"), TestContext.Current.CancellationToken)).ReadAsync<ThreadPoolSnapshot>();

        Assert.Equal((17, 9), (snapshot.MinWorkerThreads, snapshot.MinIoThreads));
    }

    [Fact]
    public async Task When_runtime_configuration_forces_min_threads_a_change_is_409_and_reports_the_real_value()
    {
        // The runtime parses this knob as hex: 0x6 = 6 threads.
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "6" });

        var response = await api.Client.SendAsync(api.AdminRequest(HttpMethod.Put, "/admin/threadpool", JsonContent.Create(new { minWorkerThreads = 40 })), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"minWorkerThreads\":6", body);
        var metrics = await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("platform_thread_pool_admin_changes_total{result=\"refused\"} 1", metrics);
        Assert.Contains("platform_thread_pool_min_threads{kind=\"worker\"} 6", metrics);
    }

    [Theory]
    [InlineData("ThreadPool__MinWorkerThreads", "0", "ThreadPool:MinWorkerThreads")]
    [InlineData("ThreadPool__MinThreadsCap", "0", "MinThreadsCap")]
    [InlineData("Admin__Token", "short", "Admin:Token")]
    [InlineData("Database__Provider", "Postgres", "Database:ConnectionString is not a valid Postgres connection string")]
    [InlineData("Database__Provider", "SqlServer", "Database:ConnectionString is not a valid SqlServer connection string")]
    [InlineData("Database__Provider", "Oracle", "Database:Provider")]
    [InlineData("Downstream__BaseUrl", "ftp://example", "Downstream:BaseUrl")]
    [InlineData("Shutdown__DrainTimeoutSeconds", "-1", "DrainTimeoutSeconds")]
    [InlineData("Metrics__SchedulingDelayProbeIntervalMilliseconds", "1", "SchedulingDelayProbeIntervalMilliseconds")]
    [InlineData("Shutdown__DrainTimeoutSeconds", "abc", "Invalid setting: Failed to convert configuration value 'abc' at 'Shutdown:DrainTimeoutSeconds'")]
    [InlineData("Metrics__Enabled", "maybe", "Invalid setting: Failed to convert configuration value 'maybe' at 'Metrics:Enabled'")]
    [InlineData("Metrics__MaxSeriesPerInstrument", "many", "Invalid setting: Failed to convert configuration value 'many' at 'Metrics:MaxSeriesPerInstrument'")]
    [InlineData("Connections__MaxAgeSeconds", "soon", "Invalid setting: Failed to convert configuration value 'soon' at 'Connections:MaxAgeSeconds'")]
    public async Task Invalid_configuration_stops_start_up_with_a_message_naming_the_setting(string key, string value, string named)
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { [key] = value }, waitForReady: false);

        var exitCode = await api.Process.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, api.Process.RecentOutput);
        Assert.DoesNotContain("Unhandled exception", api.Process.RecentOutput);
        Assert.DoesNotContain("   at ", api.Process.RecentOutput);
    }

    [Theory]
    [InlineData("Server=db.example;User ID=sa;Password=Hunter2-secret", "it names no Database (Initial Catalog)")]
    [InlineData("Server=db.example;Database=platform;Password=Hunter2-secret;Frobnicate=yes", "Keyword not supported: 'frobnicate'")]
    [InlineData("Data Source=/data/platform.db;Password=Hunter2-secret", "contains '/': that is a file path")]
    [InlineData(" ", "Database:ConnectionString is required when Database:Provider is SqlServer.")]
    public async Task A_bad_sql_server_connection_string_is_one_line_at_start_up_without_the_password(string connectionString, string reason)
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "SqlServer",
            ["Database__ConnectionString"] = connectionString,
        }, waitForReady: false);

        var exitCode = await api.Process.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var output = api.Process.RecentOutput;
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Database:ConnectionString", StringComparison.Ordinal));
        Assert.StartsWith("Invalid setting: ", line);
        Assert.Contains(reason, line);
        Assert.DoesNotContain("Hunter2", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task On_sigterm_in_flight_requests_finish_and_the_process_exits_cleanly()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Shutdown__DrainTimeoutSeconds"] = "20" });
        var inFlight = api.Client.GetAsync("/io/delay/async?ms=2500", TestContext.Current.CancellationToken);
        var blocking = api.Client.GetAsync("/io/delay/sync?ms=2500", TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);

        api.Process.SendSigterm();
        var exitCode = await api.Process.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await blocking).StatusCode);
        Assert.Equal(0, exitCode);
    }

    [Theory]
    [InlineData("Postgres", "Host=127.0.0.1;Port={0};Username=postgres;Database=none;Timeout=2")]
    [InlineData("SqlServer", "Server=tcp:127.0.0.1,{0};Database=none;User ID=sa;Password=unused;Connect Timeout=2;TrustServerCertificate=True")]
    public async Task Readiness_fails_and_liveness_holds_while_the_database_is_unreachable(string provider, string connectionString)
    {
        var closedPort = FreeTcpPort.Next();
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = provider,
            ["Database__ConnectionString"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, connectionString, closedPort),
        }, waitForReady: false);

        var live = await RetryUntilAnsweredAsync(() => api.Client.GetAsync("/healthz/live", TestContext.Current.CancellationToken));
        var ready = await api.Client.GetAsync("/healthz/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private static async Task<HttpResponseMessage> RetryUntilAnsweredAsync(Func<Task<HttpResponseMessage>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }
}
