using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.Testing;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>
/// The API in this process on real Kestrel (127.0.0.1, a free port), with its own SQLite file.
/// For behaviour tests; anything that changes or measures the thread pool uses <see cref="ApiProcess"/>.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    public const string AdminToken = ApiProcess.AdminToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("platform-api-test-").FullName;
    private readonly Dictionary<string, string?> _settings;

    public ApiFactory(IDictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = $"Data Source={Path.Combine(_directory, "platform.db")}",
            ["Admin:Token"] = AdminToken,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
        UseKestrel(0);
    }

    /// <summary>The Database:ConnectionString the API runs with (its own SQLite file unless the settings name another).</summary>
    public string DatabaseConnectionString => _settings["Database:ConnectionString"]!;

    /// <summary>Starts the server and waits until /healthz/ready answers 200.</summary>
    public async Task<HttpClient> StartAsync(bool waitForReady = true)
    {
        StartServer();
        var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        if (waitForReady)
        {
            await WaitForReadyAsync(client);
        }
        return client;
    }

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return client;
    }

    public static async Task WaitForReadyAsync(HttpClient client, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        HttpResponseMessage? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await client.GetAsync("/healthz/ready");
                if (last.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The API did not become ready: last answer {(int?)last?.StatusCode} {(last is null ? "" : await last.Content.ReadAsStringAsync())}");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the WAL file for a moment; the temp dir is cleaned by the OS.
        }
    }
}

public static class HttpJson
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<T>() ?? throw new InvalidOperationException("Empty JSON body.");
}
