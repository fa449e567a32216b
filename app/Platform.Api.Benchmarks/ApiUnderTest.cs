using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Platform.Metrics;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>The API could not be started; the message carries the tail of its output.</summary>
internal sealed class ApiStartException(string message) : Exception(message);

/// <summary>
/// One fresh Platform.Api process on a loopback port, started as `dotnet Platform.Api.dll` from the
/// benchmark's own output directory (the project reference copies it there) in a throwaway working
/// directory with its own SQLite file. Control calls (ready, metrics, admin) use a client of their own,
/// so they never queue behind the load's connections.
/// </summary>
internal sealed class ApiUnderTest : IAsyncDisposable
{
    public const string AdminToken = "benchmark-admin-token-0123456789";

    private const int StartAttempts = 3;
    private const int OutputTailLines = 40;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    // A starved server may not get round to handling SIGTERM; it is killed after this.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _control;

    private ApiUnderTest(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _control = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Pid;

    /// <param name="database">Settings that replace the defaults above: Database__* for another provider (e.g. a PostgreSQL server's), Logging__* for another log level.</param>
    public static async Task<ApiUnderTest> StartAsync(bool metricsEnabled, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? database = null)
    {
        var apiDll = Path.Combine(AppContext.BaseDirectory, "Platform.Api.dll");
        if (!File.Exists(apiDll) || !File.Exists(Path.ChangeExtension(apiDll, ".runtimeconfig.json")))
        {
            throw new ApiStartException($"{apiDll} or its runtimeconfig.json is missing; build app/Platform.Api.Benchmarks, which references Platform.Api.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("platform-api-bench-").FullName;
            var port = FreeTcpPort.Next();
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Metrics__Enabled"] = metricsEnabled ? "true" : "false",
                ["Admin__Token"] = AdminToken,
                ["Database__Provider"] = "Sqlite",
                ["Database__ConnectionString"] = $"Data Source={Path.Combine(directory, "platform.db")}",
                // A starved server would otherwise spend up to 25 s draining abandoned requests on SIGTERM;
                // shutdown is not what is measured here.
                ["Shutdown__DrainTimeoutSeconds"] = "1",
            };
            foreach (var (key, value) in database ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }
            // --contentRoot: appsettings.json sits next to the dll, not in the working directory.
            var process = ChildProcess.Start("dotnet",
                [apiDll, "--urls", $"http://127.0.0.1:{port}", "--contentRoot", AppContext.BaseDirectory],
                environment, workingDirectory: directory);
            var api = new ApiUnderTest(process, directory, port);
            try
            {
                await api.WaitUntilReadyAsync(cancellationToken);
                return api;
            }
            catch (ApiStartException) when (attempt < StartAttempts && api.LostPortRace())
            {
                // FreeTcpPort can only say a port was free a moment ago; another process took it. Try another.
                await api.DisposeAsync();
            }
            catch
            {
                await api.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Sequential requests so connections, routing and JIT are warm before anything is measured.</summary>
    public async Task WarmUpAsync(HttpClient client, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            using var response = await client.GetAsync(new Uri(BaseAddress, path), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Warm-up GET {path} returned {(int)response.StatusCode}.{OutputTail()}");
            }
        }
    }

    /// <summary>
    /// The value of one sample in /metrics, e.g. <c>dotnet_thread_pool_thread_count</c>; null when absent
    /// or when the server does not answer within <paramref name="timeout"/> (a starved server may not).
    /// </summary>
    /// <param name="label">A label the sample must carry, such as <c>("kind", "worker")</c>.</param>
    public async Task<double?> ReadMetricAsync(string name, (string Name, string Value)? label, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var text = await _control.GetStringAsync(new Uri("metrics", UriKind.Relative), deadline.Token);
            return ExpositionReader.Read(text)
                .FirstOrDefault(s => s.Name == name && (label is not { } l || s.Labels.GetValueOrDefault(l.Name) == l.Value))?.Value;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>All the process's OS threads (pool and runtime threads alike) from /proc; null where unavailable.</summary>
    /// <remarks>Readable even when the server is too starved to answer HTTP.</remarks>
    public int? OsThreadCount()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Pid}/status").FirstOrDefault(l => l.StartsWith("Threads:", StringComparison.Ordinal));
            return line is not null && int.TryParse(line.AsSpan("Threads:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                ? count
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>GET /metrics and read the whole body, as a Prometheus scrape would.</summary>
    public async Task ScrapeAsync(CancellationToken cancellationToken)
    {
        using var response = await _control.GetAsync(new Uri("metrics", UriKind.Relative), HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>PUT /admin/threadpool, the operator's fix; throws unless the runtime applied it.</summary>
    public async Task SetMinWorkerThreadsAsync(int minWorkerThreads, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("admin/threadpool", UriKind.Relative))
        {
            Content = new StringContent(
                string.Create(CultureInfo.InvariantCulture, $$"""{"minWorkerThreads": {{minWorkerThreads}}}"""),
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await _control.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"PUT /admin/threadpool returned {(int)response.StatusCode}: {body}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        try
        {
            await _process.StopAsync(StopGrace);
        }
        finally
        {
            await _process.DisposeAsync();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                // Give the output readers a moment so the reason is in the message.
                await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
                throw new ApiStartException($"Platform.Api exited with code {_process.ExitCode} before it was ready.{OutputTail()}");
            }

            try
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                probe.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await _control.GetAsync(new Uri("healthz/ready", UriKind.Relative), probe.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Not listening yet.
            }

            if (clock.Elapsed > ReadyTimeout)
            {
                throw new ApiStartException($"Platform.Api at {BaseAddress} was not ready within {ReadyTimeout.TotalSeconds:0} s.{OutputTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private bool LostPortRace() =>
        _process.HasExited && _process.RecentOutput.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    private string OutputTail()
    {
        var lines = _process.RecentOutput.Split('\n');
        return lines.Length == 0 || (lines.Length == 1 && lines[0].Length == 0)
            ? " It wrote no output."
            : $"\nLast output lines of pid {_process.Pid}:\n{string.Join('\n', lines.TakeLast(OutputTailLines))}";
    }
}
