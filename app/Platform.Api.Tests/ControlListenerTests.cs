using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.ThreadPoolControl;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>
/// The control listener in a real API process: the admin endpoint there with the same token, validation,
/// logging and counters as on Kestrel, and admin isolation by the port a connection arrived on.
/// </summary>
public sealed class ControlListenerTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static HttpRequestMessage Admin(HttpMethod method, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, "/admin/threadpool") { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }
        return request;
    }

    [Fact]
    public async Task Admin_on_the_control_port_needs_the_token_and_validates_logs_and_counts_like_kestrel()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        using var control = new HttpClient { BaseAddress = api.ControlBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var bearer = $"Bearer {ApiProcess.AdminToken}";

        var anonymous = await control.SendAsync(Admin(HttpMethod.Get, null), cancel);
        var wrong = await control.SendAsync(Admin(HttpMethod.Put, "Bearer wrong-token-wrong-token-00", new { minWorkerThreads = 9 }), cancel);
        var read = await control.SendAsync(Admin(HttpMethod.Get, bearer), cancel);
        var before = (await read.ReadAsync<ThreadPoolSnapshot>()).MinWorkerThreads;
        var change = await control.SendAsync(Admin(HttpMethod.Put, bearer, new { minWorkerThreads = before + 21 }), cancel);
        var outOfBounds = await control.SendAsync(Admin(HttpMethod.Put, bearer, new { minWorkerThreads = 0 }), cancel);
        using var malformed = Admin(HttpMethod.Put, bearer);
        malformed.Content = new StringContent("{\"minWorkerThreads\": \"many\"}", Encoding.UTF8, "application/json");
        var badJson = await control.SendAsync(malformed, cancel);
        using var text = Admin(HttpMethod.Put, bearer);
        text.Content = new StringContent("minWorkerThreads=5", Encoding.UTF8, "text/plain");
        var notJson = await control.SendAsync(text, cancel);
        var metrics = MetricsText.Parse(await control.GetStringAsync("metrics", cancel));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        Assert.Equal(before + 21, (await change.ReadAsync<ThreadPoolSnapshot>()).MinWorkerThreads);
        Assert.Equal(before + 21, metrics.Sum("platform_thread_pool_min_threads", l => l.GetValueOrDefault("kind") == "worker"));

        Assert.Equal(HttpStatusCode.BadRequest, outOfBounds.StatusCode);
        Assert.Equal("application/problem+json", outOfBounds.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await outOfBounds.Content.ReadAsStringAsync(cancel)).RootElement;
        Assert.Equal(ThreadPoolAdminEndpoints.RejectedTitle, problem.GetProperty("title").GetString());
        Assert.Contains("must be from 1 to", problem.GetProperty("errors").GetProperty("minWorkerThreads")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Contains("not valid JSON", await badJson.Content.ReadAsStringAsync(cancel));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);

        // The same counter and the same log line as a change through Kestrel.
        Assert.Equal(1, metrics.Sum("platform_thread_pool_admin_changes_total", l => l.GetValueOrDefault("result") == "applied"));
        Assert.Equal(1, metrics.Sum("platform_thread_pool_admin_changes_total", l => l.GetValueOrDefault("result") == "rejected"));
        Assert.Contains($"-> {before + 21} (now {before + 21})", api.Process.RecentOutput);
        Assert.DoesNotContain(ApiProcess.AdminToken, api.Process.RecentOutput);
    }

    [Fact]
    public async Task With_a_separate_admin_port_admin_answers_only_there_and_kestrel_not_at_all_whatever_the_host_header()
    {
        var cancel = TestContext.Current.CancellationToken;
        var adminPort = FreeTcpPort.Next();
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Admin__Port"] = Port(adminPort) });
        using var control = new HttpClient { BaseAddress = api.ControlBaseAddress };
        using var adminClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/") };
        var bearer = $"Bearer {ApiProcess.AdminToken}";

        using var spoofed = Admin(HttpMethod.Get, bearer);
        spoofed.Headers.Host = $"127.0.0.1:{adminPort}";
        var throughKestrelWithSpoofedHost = await api.Client.SendAsync(spoofed, cancel);
        var onControlPort = await control.SendAsync(Admin(HttpMethod.Get, bearer), cancel);
        using var noPortInHost = Admin(HttpMethod.Get, bearer);
        noPortInHost.Headers.Host = "platform-api";
        var onAdminPort = await adminClient.SendAsync(noPortInHost, cancel);
        var metricsOnAdminPort = await adminClient.GetAsync("metrics", cancel);

        Assert.Equal(HttpStatusCode.NotFound, throughKestrelWithSpoofedHost.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onControlPort.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onAdminPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metricsOnAdminPort.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await control.GetAsync("metrics", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await control.GetAsync("healthz/live", cancel)).StatusCode);
    }

    [Fact]
    public async Task On_kestrel_the_admin_port_is_the_port_the_connection_arrived_on_not_the_host_header()
    {
        var cancel = TestContext.Current.CancellationToken;
        var trafficPort = FreeTcpPort.Next();
        var adminPort = FreeTcpPort.Next();
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Admin__Port"] = Port(adminPort),
            ["Control__Port"] = "",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{trafficPort};http://127.0.0.1:{adminPort}",
        }, waitForReady: false, port: trafficPort);
        await api.WaitForReadyAsync();
        using var adminClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/") };
        var bearer = $"Bearer {ApiProcess.AdminToken}";

        using var spoofed = Admin(HttpMethod.Get, bearer);
        spoofed.Headers.Host = $"127.0.0.1:{adminPort}";
        var onTrafficPort = await api.Client.SendAsync(spoofed, cancel);
        using var noPortInHost = Admin(HttpMethod.Get, bearer);
        noPortInHost.Headers.Host = "platform-api";
        var onAdminPort = await adminClient.SendAsync(noPortInHost, cancel);

        Assert.Equal(HttpStatusCode.NotFound, onTrafficPort.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onAdminPort.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await adminClient.SendAsync(Admin(HttpMethod.Get, null), cancel)).StatusCode);
    }

    [Fact]
    public async Task A_control_port_taken_by_another_process_stops_start_up_with_the_address_named()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Control__Port"] = Port(port) }, waitForReady: false);
        var exitCode = await api.Process.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"The control listener could not bind 127.0.0.1:{port}", api.Process.RecentOutput);
    }
}

/// <summary>
/// Under starvation everything that observes or fixes the process answers on the control listener in
/// milliseconds, while the same calls through Kestrel wait for a pool thread like any request.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class StarvedControlTests
{
    [Fact]
    public async Task A_starved_api_answers_scrapes_liveness_and_admin_on_its_control_port_at_once()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();
        using var control = new HttpClient { BaseAddress = api.ControlBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var burst = Task.WhenAll(Enumerable.Range(0, 60).Select(_ => api.Client.GetAsync("/io/delay/sync?ms=3000", cancel)));
        await Task.Delay(1000, cancel);
        var kestrelLive = Timed(() => api.Client.GetStringAsync("/healthz/live", cancel));
        var scrape = Timed(() => control.GetStringAsync("metrics", cancel));
        var live = Timed(() => control.GetStringAsync("healthz/live", cancel));
        var (scrapeTime, body) = await scrape;
        var (liveTime, liveBody) = await live;
        using var put = new HttpRequestMessage(HttpMethod.Get, "admin/threadpool");
        put.Headers.Authorization = new("Bearer", ApiProcess.AdminToken);
        var admin = Timed(async () => await (await control.SendAsync(put, cancel)).Content.ReadAsStringAsync(cancel));
        var (adminTime, snapshot) = await admin;
        var (kestrelLiveTime, _) = await kestrelLive;
        await burst;

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"during starvation: control scrape {scrapeTime.TotalMilliseconds:F0} ms, control liveness {liveTime.TotalMilliseconds:F0} ms, " +
            $"control admin {adminTime.TotalMilliseconds:F0} ms; Kestrel liveness {kestrelLiveTime.TotalMilliseconds:F0} ms");
        Assert.Equal("Healthy", liveBody);
        Assert.Contains("\"pendingWorkItems\"", snapshot);
        foreach (var elapsed in new[] { scrapeTime, liveTime, adminTime })
        {
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"a control call took {elapsed.TotalMilliseconds:0} ms");
        }
        Assert.True(kestrelLiveTime > 3 * liveTime, $"Kestrel liveness {kestrelLiveTime.TotalMilliseconds} ms vs control {liveTime.TotalMilliseconds} ms");
        var metrics = MetricsText.Parse(body);
        Assert.True(metrics.Single("dotnet_thread_pool_queue_length") > 0, "the control scrape should see the queue while it is long");
        Assert.True(metrics.Single("platform_thread_pool_scheduling_delay_current_seconds") > 0.2,
            "the current scheduling delay counts the probes still waiting");
    }

    private static async Task<(TimeSpan Elapsed, string Body)> Timed(Func<Task<string>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var body = await call();
        return (Stopwatch.GetElapsedTime(started), body);
    }
}
