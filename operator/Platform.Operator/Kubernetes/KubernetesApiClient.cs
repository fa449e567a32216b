using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Platform.Operator.Kubernetes;

/// <summary>The REST client behind <see cref="IKubernetesApi"/>: JSON over HTTP/1.1, one HttpClient per instance.</summary>
public sealed class KubernetesApiClient : IKubernetesApi, IDisposable
{
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    private const int ListPageSize = 500;
    private const string MergePatchMediaType = "application/merge-patch+json";

    // The server ends each watch after WatchTimeout; a stream that outlives it by WatchGrace is on a dead
    // connection (nothing else would ever notice one), so it is abandoned with a TimeoutException.
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan WatchGrace = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly Func<string?>? _bearerToken;
    private readonly TimeSpan _requestTimeout;

    public KubernetesApiClient(KubernetesClientConfig config, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _http = new HttpClient(config.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        // Keep a path prefix (API servers behind a proxy) when relative paths are appended.
        _server = config.Server.AbsoluteUri.EndsWith('/') ? config.Server : new Uri(config.Server.AbsoluteUri + "/");
        _bearerToken = config.BearerToken;
        _requestTimeout = requestTimeout ?? DefaultRequestTimeout;
    }

    public async Task<T?> GetAsync<T>(KubeResource resource, string? ns, string name, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        return await SendAsync<T>(HttpMethod.Get, resource.ObjectPath(ns, name), body: null, contentType: null, nullOnNotFound: true, cancellationToken);
    }

    public async Task<KubeList<T>> ListAsync<T>(KubeResource resource, string? ns, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        var result = new KubeList<T>();
        string? continueToken = null;
        do
        {
            var path = resource.CollectionPath(ns) + Query(
                ("limit", ListPageSize.ToString(CultureInfo.InvariantCulture)),
                ("labelSelector", labelSelector),
                ("continue", continueToken));
            var page = await SendAsync<KubeList<T>>(HttpMethod.Get, path, body: null, contentType: null, nullOnNotFound: false, cancellationToken);
            result.Items.AddRange(page!.Items);
            // Every page comes from the same snapshot and carries its resourceVersion.
            result.Metadata.ResourceVersion = page.Metadata.ResourceVersion;
            continueToken = page.Metadata.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        return result;
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        KubeResource resource,
        string? ns,
        string resourceVersion,
        string? labelSelector = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(resourceVersion);
        var path = resource.CollectionPath(ns) + Query(
            ("watch", "1"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", resourceVersion),
            ("labelSelector", labelSelector),
            ("timeoutSeconds", ((int)WatchTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(WatchTimeout + WatchGrace);

        using var response = await OpenWatchAsync(path, deadline.Token, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token), Encoding.UTF8);
        while (await ReadWatchLineAsync(reader, path, deadline.Token, cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var watchEvent = ParseWatchEvent<T>(line);
            if (watchEvent.Error?.Code == (int)HttpStatusCode.Gone)
            {
                throw new ResourceVersionTooOldException(watchEvent.Error, $"Watch {path}: {watchEvent.Error.Message}");
            }

            yield return watchEvent;
        }
    }

    public async Task<T> PatchMergeAsync<T>(
        KubeResource resource, string? ns, string name, object patch, string? subresource = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(patch);
        return (await SendAsync<T>(HttpMethod.Patch, resource.ObjectPath(ns, name, subresource), patch, MergePatchMediaType, nullOnNotFound: false, cancellationToken))!;
    }

    public async Task<T> ReplaceStatusAsync<T>(KubeResource resource, string? ns, string name, T obj, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        return (await SendAsync<T>(HttpMethod.Put, resource.ObjectPath(ns, name, "status"), obj, "application/json", nullOnNotFound: false, cancellationToken))!;
    }

    public async Task<T> CreateAsync<T>(KubeResource resource, string? ns, T obj, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        return (await SendAsync<T>(HttpMethod.Post, resource.CollectionPath(ns), obj, "application/json", nullOnNotFound: false, cancellationToken))!;
    }

    public async Task<T> ReplaceAsync<T>(KubeResource resource, string? ns, string name, T obj, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        return (await SendAsync<T>(HttpMethod.Put, resource.ObjectPath(ns, name), obj, "application/json", nullOnNotFound: false, cancellationToken))!;
    }

    public void Dispose() => _http.Dispose();

    private async Task<T?> SendAsync<T>(
        HttpMethod method, string path, object? body, string? contentType, bool nullOnNotFound, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using var request = CreateRequest(method, path, body, contentType);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (nullOnNotFound && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(method, path, response, timeout.Token);
            }

            return await response.Content.ReadFromJsonAsync<T>(KubeApiJson.Options, timeout.Token)
                ?? throw new KubernetesApiException(response.StatusCode, null, $"{method} {path} answered {(int)response.StatusCode} with an empty body.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{method} {path} got no answer within {_requestTimeout.TotalSeconds:0.#} s.");
        }
    }

    private async Task<HttpResponseMessage> OpenWatchAsync(string path, CancellationToken deadline, CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = null;
        try
        {
            using var request = CreateRequest(HttpMethod.Get, path, body: null, contentType: null);
            // Headers only: the body is the stream of events.
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline);
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(HttpMethod.Get, path, response, deadline);
            }

            return response;
        }
        catch (Exception e)
        {
            response?.Dispose();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Watch {path} got no answer within {(WatchTimeout + WatchGrace).TotalSeconds:0} s.", e);
            }

            throw;
        }
    }

    private static async Task<string?> ReadWatchLineAsync(StreamReader reader, string path, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(deadline);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Watch {path} outlived its {WatchTimeout.TotalSeconds:0} s timeout: the connection is presumed dead.", e);
        }
    }

    private static WatchEvent<T> ParseWatchEvent<T>(string line)
        where T : class
    {
        var raw = JsonSerializer.Deserialize<RawWatchEvent>(line, KubeApiJson.Options)
            ?? throw new JsonException($"A watch event is null: {line}");
        return raw.Type == "ERROR"
            ? new WatchEvent<T> { Type = raw.Type, Error = raw.Object.Deserialize<Status>(KubeApiJson.Options) }
            : new WatchEvent<T> { Type = raw.Type, Object = raw.Object.Deserialize<T>(KubeApiJson.Options) };
    }

    private HttpRequestMessage CreateRequest(HttpMethod method, string path, object? body, string? contentType)
    {
        var request = new HttpRequestMessage(method, new Uri(_server, path.TrimStart('/')));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_bearerToken?.Invoke() is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), KubeApiJson.Options));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
        }

        return request;
    }

    private static async Task<KubernetesApiException> ErrorAsync(HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Status? status = null;
        try
        {
            status = JsonSerializer.Deserialize<Status>(body, KubeApiJson.Options);
        }
        catch (JsonException)
        {
            // Not a Status (e.g. a proxy's HTML page): the raw body goes into the message instead.
        }

        var detail = status?.Message ?? (body.Length > 200 ? body[..200] + "…" : body);
        var message = $"{method} {path} failed: {(int)response.StatusCode} {status?.Reason ?? response.ReasonPhrase}: {detail}";
        return KubernetesApiException.For(response.StatusCode, status, message);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var pairs = parameters
            .Where(p => !string.IsNullOrEmpty(p.Value))
            .Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}");
        var query = string.Join('&', pairs);
        return query.Length == 0 ? "" : "?" + query;
    }

    private sealed class RawWatchEvent
    {
        public string Type { get; set; } = "";

        public JsonElement Object { get; set; }
    }
}
