namespace Platform.Testing;

/// <summary>
/// The API (Platform.Api.dll, copied next to the test assembly by a project reference) as a separate
/// process: its own thread pool, min-thread settings and signals. Used where the test process must not
/// share (or disturb) the pool being measured, for SIGTERM behaviour, and as the operator's target.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";

    private readonly string _directory;

    private ApiProcess(ChildProcess process, string host, int port, int controlPort, string directory)
    {
        ControlPort = controlPort;
        Process = process;
        _directory = directory;
        BaseAddress = new Uri($"http://{host}:{port}/");
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(90),
        };
    }

    public ChildProcess Process { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public string Address => $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>
    /// The control listener's port (Control:Port): /metrics, /healthz/live and, unless Admin:Port moves it,
    /// /admin/threadpool, served without a pool thread. 0 when the test turned the listener off.
    /// </summary>
    public int ControlPort { get; }

    /// <summary>host:port of the control listener, for Prometheus targets.</summary>
    public string ControlAddress => $"{BaseAddress.Host}:{ControlPort}";

    /// <summary>http://host:controlPort/</summary>
    public Uri ControlBaseAddress => new($"http://{ControlAddress}/");

    /// <param name="host">The loopback address both listeners bind (127.0.0.N plays a pod's IP where several share ports).</param>
    public static async Task<ApiProcess> StartAsync(IDictionary<string, string>? environment = null, bool waitForReady = true, int? port = null,
        string host = "127.0.0.1")
    {
        var directory = Directory.CreateTempSubdirectory("platform-api-proc-").FullName;
        port ??= FreeTcpPort.Next();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Sqlite",
            ["Database__ConnectionString"] = $"Data Source={Path.Combine(directory, "platform.db")}",
            ["Admin__Token"] = AdminToken,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Platform"] = "Information",
        };
        env["Control__Port"] = FreeTcpPort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Control__Address"] = host;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        // An empty Control__Port turns the control listener off.
        var controlPort = env["Control__Port"] is { Length: > 0 } configured ? int.Parse(configured, System.Globalization.CultureInfo.InvariantCulture) : 0;
        // ASPNETCORE_URLS in the environment (e.g. to add an admin port) takes the place of --urls.
        string[] urls = env.ContainsKey("ASPNETCORE_URLS") ? [] : ["--urls", $"http://{host}:{port}"];
        var process = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Platform.Api.dll"), .. urls], env, workingDirectory: directory);
        var api = new ApiProcess(process, host, port.Value, controlPort, directory);
        if (waitForReady)
        {
            try
            {
                await api.WaitForReadyAsync();
            }
            catch
            {
                await api.DisposeAsync();
                throw;
            }
        }
        return api;
    }

    public async Task WaitForReadyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        string last = "no answer";
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            try
            {
                using var response = await Client.GetAsync("/healthz/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The API did not become ready (last answer: {last}).\nProcess output:\n{Process.RecentOutput}");
    }

    public HttpRequestMessage AdminRequest(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new("Bearer", AdminToken);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
