using Platform.Testing;
using System.Net;
using System.Text;
using Platform.Api.Tests.Infrastructure;

namespace Platform.Api.Tests;

/// <summary>
/// Bad input at scale: well over a thousand generated malformed or out-of-range requests across every
/// endpoint. None may be answered with a 5xx, none may hang, and the process must stay healthy.
/// </summary>
public sealed class MalformedInputTests
{
    private const int Seed = 20261121;
    private static readonly TimeSpan PerRequestTimeout = TimeSpan.FromSeconds(15);

    private static readonly string[] BoundedGets =
    [
        "/io/delay/async?ms=", "/io/delay/sync?ms=", "/io/delay/sync-over-async?ms=", "/io/delay/task-run?ms=",
        "/io/http/async?ms=", "/io/http/sync?ms=", "/io/http/sync-over-async?ms=", "/io/http/task-run?ms=",
        "/db/async?ms=", "/db/sync?rows=", "/db/sync-over-async?ms=", "/db/task-run?rows=",
        "/cpu/sync?iterations=", "/cpu/task-run?iterations=",
        "/fanout/sequential?calls=", "/fanout/when-all?ms=", "/downstream/delay?ms=",
    ];

    private static readonly string[] WorkloadPrefixes = ["/io/delay/", "/io/http/", "/db/", "/cpu/", "/fanout/"];

    private static readonly string[] BadNumbers =
    [
        "", "-1", "-2147483649", "2147483648", "99999999999999999999999", "30001", "1e3", "1.5", "0x10", "abc",
        "NaN", "Infinity", "null", "true", "%20%205", "5%00", "1,2", "--1", "１２", "٣", "' OR 1=1 --", "%FF%FE",
        "<script>", "../../etc/passwd", new string('9', 5000), "-0x7FFFFFFF", "1_000",
    ];

    private static readonly string[] BadOrderBodies =
    [
        "", "{", "}", "[]", "null", "\"order\"", "42", "{\"item\":", "{\"item\":\"x\",\"quantity\":\"1\"}",
        "{\"item\":\"x\",\"quantity\":1.5}", "{\"item\":\"x\",\"quantity\":1e400}", "{\"item\":\"x\",\"quantity\":-1}",
        "{\"item\":123,\"quantity\":1}", "{\"item\":null,\"quantity\":null}", "{\"id\":\"not-a-guid\",\"item\":\"x\",\"quantity\":1}",
        "{\"item\":\"x\",\"quantity\":2147483648}", "{\"item\":\"" + new string('x', 101) + "\",\"quantity\":1}",
        new string('[', 5000) + new string(']', 5000), "{\"item\":\"\\ud800\",\"quantity\":1}", "\u0000\u0001\u0002",
    ];

    private static readonly string[] BadAdminBodies =
    [
        "", "{", "[]", "null", "{\"minWorkerThreads\":0}", "{\"minWorkerThreads\":-1}", "{\"minWorkerThreads\":1e9}",
        "{\"minWorkerThreads\":\"5\"}", "{\"minIoThreads\":100000}", "{\"minWorkerThreads\":2.5}", "{}",
        "{\"minWorkerThreads\":{}}", new string('{', 3000),
    ];

    [Fact]
    public async Task A_thousand_malformed_requests_get_no_5xx_no_hang_and_leave_the_process_healthy()
    {
        await using var api = await ApiProcess.StartAsync();
        var random = new Random(Seed);
        var requests = Enumerable.Range(0, 1200).Select(_ => Generate(random)).ToList();

        var failures = new List<string>();
        using var throttle = new SemaphoreSlim(16);
        var statuses = await Task.WhenAll(requests.Select(async make =>
        {
            await throttle.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                using var request = make();
                var description = $"{request.Method} {Truncate(request.RequestUri!.OriginalString)}";
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                timeout.CancelAfter(PerRequestTimeout);
                try
                {
                    using var response = await api.Client.SendAsync(request, timeout.Token);
                    if ((int)response.StatusCode >= 500)
                    {
                        lock (failures) failures.Add($"{(int)response.StatusCode} for {description}");
                    }
                    return (int)response.StatusCode;
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    lock (failures) failures.Add($"no answer within {PerRequestTimeout.TotalSeconds} s for {description}");
                    return 0;
                }
            }
            finally
            {
                throttle.Release();
            }
        }));

        Assert.Empty(failures);
        Assert.True(statuses.Length >= 1000);
        Assert.True(statuses.Count(s => s is 400 or 404 or 405 or 413 or 415 or 401) > 900, "most requests should be rejected as bad input");
        Assert.False(api.Process.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/healthz/ready", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/io/delay/async?ms=1", TestContext.Current.CancellationToken)).StatusCode);
        var metrics = MetricsText.Parse(await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
        Assert.Equal(0, metrics.Single("platform_metrics_dropped_series_total"));
    }

    private static Func<HttpRequestMessage> Generate(Random random) => random.Next(7) switch
    {
        0 or 1 => () => new HttpRequestMessage(HttpMethod.Get, Pick(random, BoundedGets) + Pick(random, BadNumbers)),
        2 => Get(Pick(random, WorkloadPrefixes) + RandomSegment(random)),
        3 => WrongMethod(random),
        4 => Body(HttpMethod.Post, "/orders", Pick(random, BadOrderBodies), random.Next(5) == 0 ? "text/plain" : "application/json", token: false),
        5 => Body(HttpMethod.Put, "/admin/threadpool", Pick(random, BadAdminBodies), "application/json", token: random.Next(3) != 0),
        _ => Get(Pick(random, BoundedGets) + "1&" + Pick(random, ["ms=", "rows=", "calls=", "iterations="]) + Pick(random, BadNumbers)),
    };

    private static Func<HttpRequestMessage> Get(string url) => () => new HttpRequestMessage(HttpMethod.Get, url);

    private static Func<HttpRequestMessage> WrongMethod(Random random)
    {
        var method = Pick(random, [HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch]);
        var url = Pick(random, [.. BoundedGets.Select(u => u + "1"), "/orders/count", "/healthz/live", "/metrics", "/admin/threadpool"]);
        return () => new HttpRequestMessage(method, url) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
    }

    private static Func<HttpRequestMessage> Body(HttpMethod method, string url, string body, string contentType, bool token) => () =>
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (token)
        {
            request.Headers.Authorization = new("Bearer", ApiFactory.AdminToken);
        }
        return request;
    };

    private static string RandomSegment(Random random)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~%";
        var length = random.Next(1, 40);
        return Uri.EscapeDataString(new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Truncate(string value) => value.Length <= 120 ? value : value[..120] + "…";
}
