using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Platform.Testing;

/// <summary>
/// A throwaway Prometheus (the installed <c>prometheus</c> binary) on 127.0.0.1 with a generated config and its own
/// temp storage, stopped by PID and deleted on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadyProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly ChildProcess _process;
    private readonly HttpClient _http;
    private readonly string _directory;
    private readonly int _expectedTargetCount;
    private int _disposed;

    private PrometheusServer(ChildProcess process, string directory, Uri baseAddress, int expectedTargetCount)
    {
        _process = process;
        _directory = directory;
        _expectedTargetCount = expectedTargetCount;
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    public Uri BaseAddress { get; }

    /// <summary>Recent Prometheus log lines.</summary>
    public string RecentOutput => _process.RecentOutput;

    /// <summary>Writes prometheus.yml, starts Prometheus and waits (up to 30 s) until /-/ready answers 200.</summary>
    public static async Task<PrometheusServer> StartAsync(PrometheusServerOptions options, CancellationToken cancellationToken = default)
    {
        var config = PrometheusConfig.Render(options);
        var binary = ToolLocator.Require("prometheus");
        var directory = Directory.CreateTempSubdirectory("platform-testing-prom-").FullName;
        PrometheusServer? server = null;
        try
        {
            var configFile = Path.Combine(directory, "prometheus.yml");
            await File.WriteAllTextAsync(configFile, config, cancellationToken);
            var port = options.Port ?? FreeTcpPort.Next();
            List<string> arguments =
            [
                $"--config.file={configFile}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ];
            if (options.EnableRemoteWriteReceiver)
            {
                arguments.Add("--web.enable-remote-write-receiver");
            }

            var expectedTargetCount = options.Targets.Select(target => (target.Job, target.Address)).Distinct().Count();
            server = new PrometheusServer(
                ChildProcess.Start(binary, arguments, workingDirectory: directory),
                directory,
                new Uri($"http://127.0.0.1:{port}/"),
                expectedTargetCount);
            await server.WaitUntilReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            if (server is null)
            {
                Directory.Delete(directory, recursive: true);
            }
            else
            {
                await server.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Instant query via /api/v1/query. PromQL errors are returned, not thrown.</summary>
    public Task<PromQueryResult> QueryAsync(string promql, CancellationToken cancellationToken = default) =>
        GetQueryResultAsync($"api/v1/query?query={Uri.EscapeDataString(promql)}", cancellationToken);

    /// <summary>Range query via /api/v1/query_range; the series are in <see cref="PromQueryResult.Series"/>.</summary>
    public Task<PromQueryResult> QueryRangeAsync(
        string promql,
        DateTimeOffset start,
        DateTimeOffset end,
        TimeSpan step,
        CancellationToken cancellationToken = default) =>
        GetQueryResultAsync(
            $"api/v1/query_range?query={Uri.EscapeDataString(promql)}&start={Seconds(start.ToUnixTimeMilliseconds() / 1000.0)}" +
            $"&end={Seconds(end.ToUnixTimeMilliseconds() / 1000.0)}&step={Seconds(step.TotalSeconds)}",
            cancellationToken);

    /// <summary>Polls <paramref name="promql"/> every 500 ms until <paramref name="predicate"/> holds.</summary>
    /// <exception cref="TimeoutException">With the last result and the Prometheus log tail.</exception>
    public async Task<PromQueryResult> WaitForResultAsync(
        string promql,
        Func<PromQueryResult, bool> predicate,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await QueryAsync(promql, cancellationToken);
            if (predicate(result))
            {
                return result;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"Query `{promql}` did not give the expected result within {timeout.TotalSeconds:0.#} s. Last result: {result.RawJson}{_process.FormatTail()}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>The active scrape targets from /api/v1/targets.</summary>
    public async Task<IReadOnlyList<TargetHealth>> GetTargetsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await GetAsync("api/v1/targets?state=active", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {BaseAddress}api/v1/targets returned {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        return
        [
            .. document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(target => new TargetHealth(
                target.GetProperty("labels").TryGetProperty("job", out var job) ? job.GetString() ?? "" : target.GetProperty("scrapePool").GetString() ?? "",
                target.GetProperty("scrapeUrl").GetString() ?? "",
                target.GetProperty("health").GetString() ?? "",
                target.GetProperty("lastError").GetString() ?? "")),
        ];
    }

    /// <summary>Polls until every configured target is active and healthy.</summary>
    /// <remarks>Prometheus 2.x applies scrape targets on a 5 s reload tick, so allow at least ~10 s.</remarks>
    public async Task WaitForTargetsUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var targets = await GetTargetsAsync(cancellationToken);
            if (targets.Count >= _expectedTargetCount && targets.All(target => target.IsUp))
            {
                return;
            }

            if (clock.Elapsed >= timeout)
            {
                var states = targets.Count == 0
                    ? "no active targets"
                    : string.Join("; ", targets.Select(target => $"{target.Job} {target.ScrapeUrl}: {target.Health} {target.LastError}".TrimEnd()));
                throw new TimeoutException(
                    $"Scrape targets were not all up within {timeout.TotalSeconds:0.#} s ({targets.Count}/{_expectedTargetCount} active): {states}{_process.FormatTail()}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _http.Dispose();
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                // Let the output readers catch up so the reason is in the message.
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                throw new InvalidOperationException($"Prometheus exited with code {_process.ExitCode} before becoming ready.{_process.FormatTail()}");
            }

            using (var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                probe.CancelAfter(ReadyProbeTimeout);
                try
                {
                    using var response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative), probe.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // Not listening yet.
                }
            }

            if (clock.Elapsed >= ReadyTimeout)
            {
                throw new TimeoutException($"Prometheus at {BaseAddress} was not ready within {ReadyTimeout.TotalSeconds:0} s.{_process.FormatTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private async Task<PromQueryResult> GetQueryResultAsync(string relativeUri, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(relativeUri, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return PromQueryResult.Parse(body);
        }
        // PromQL errors arrive as 400/422 with the usual JSON envelope; anything else that is not JSON is a real failure.
        catch (Exception e) when (!response.IsSuccessStatusCode && e is JsonException or KeyNotFoundException)
        {
            throw new HttpRequestException($"GET {BaseAddress}{relativeUri} returned {(int)response.StatusCode}: {body}", e);
        }
    }

    private async Task<HttpResponseMessage> GetAsync(string relativeUri, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.GetAsync(new Uri(relativeUri, UriKind.Relative), cancellationToken);
        }
        catch (HttpRequestException e) when (_process.HasExited)
        {
            throw new InvalidOperationException($"Prometheus has exited (code {_process.ExitCode}).{_process.FormatTail()}", e);
        }
    }

    private static string Seconds(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
