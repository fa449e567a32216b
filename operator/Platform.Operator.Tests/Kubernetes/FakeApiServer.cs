using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>
/// An in-process stand-in for kube-apiserver that speaks its wire format for the resources the operator uses:
/// get, list (resourceVersion, limit/continue, equality label selectors), watch (newline-delimited events,
/// bookmarks, 410 Gone as an ERROR event or as the HTTP status), create (409 AlreadyExists), replace and status
/// replace (409 Conflict on a stale resourceVersion), JSON merge patch of objects, status and deployments/scale,
/// Status bodies on errors, and bearer-token or client-certificate authentication (401 otherwise).
/// Simplifications: one resourceVersion counter for everything; list pages are not a consistent snapshot; watches
/// need a resourceVersion; metadata.generation is bumped whenever spec changes.
/// </summary>
internal sealed partial class FakeApiServer : IAsyncDisposable
{
    public const string DefaultToken = "fake-token";

    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        ["/pods"] = "Pod",
        ["/secrets"] = "Secret",
        ["/events"] = "Event",
        ["apps/deployments"] = "Deployment",
        ["autoscaling/horizontalpodautoscalers"] = "HorizontalPodAutoscaler",
        ["coordination.k8s.io/leases"] = "Lease",
        ["keda.sh/scaledobjects"] = "ScaledObject",
        ["autoscaling.platform.dev/threadpoolautoscalers"] = "ThreadPoolAutoscaler",
    };

    // Resources whose status is written only through /status (and whose status a create drops).
    private static readonly HashSet<string> WithStatusSubresource = new(StringComparer.Ordinal)
    {
        "/pods", "apps/deployments", "autoscaling/horizontalpodautoscalers", "keda.sh/scaledobjects",
        "autoscaling.platform.dev/threadpoolautoscalers",
    };

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _collections = new(StringComparer.Ordinal);
    private readonly List<StoredChange> _history = [];
    private readonly List<WatchSubscriber> _watchers = [];
    private readonly ConcurrentDictionary<string, bool> _acceptedTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _unserved = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly X509Certificate2? _clientCertificateAuthority;
    private long _resourceVersion = 1000;
    private long _compactedResourceVersion;
    private bool _goneAsHttpStatus;

    private FakeApiServer(WebApplication app, X509Certificate2? clientCertificateAuthority)
    {
        _app = app;
        _clientCertificateAuthority = clientCertificateAuthority;
        _acceptedTokens[DefaultToken] = true;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Lists return at most this many items per page, whatever limit the client asked for.</summary>
    public int MaxPageSize { get; set; } = int.MaxValue;

    /// <summary>Non-watch requests wait this long before being answered.</summary>
    public TimeSpan ResponseDelay { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public string ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Starts on 127.0.0.1 and a free port; HTTPS with <paramref name="serverCertificate"/> when given.</summary>
    /// <param name="clientCertificateAuthority">When given, client certificates issued by it authenticate like a token.</param>
    public static async Task<FakeApiServer> StartAsync(X509Certificate2? serverCertificate = null, X509Certificate2? clientCertificateAuthority = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (serverCertificate is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    // As kube-apiserver: a client certificate is asked for, not required (tokens work too).
                    ClientCertificateMode = clientCertificateAuthority is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (certificate, _, _) => TestCertificates.ChainsTo(certificate, clientCertificateAuthority!),
                });
            }
        }));
        var app = builder.Build();
        var server = new FakeApiServer(app, clientCertificateAuthority);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>The client configuration for this server: plain HTTP, the given bearer token (none when null).</summary>
    public KubernetesClientConfiguration Config(string? token = DefaultToken) => new() { Host = BaseAddress.ToString(), AccessToken = token };

    public KubernetesApiClient CreateClient(string? token = DefaultToken, TimeSpan? requestTimeout = null) => new(Config(token), requestTimeout);

    public void AcceptToken(string token) => _acceptedTokens[token] = true;

    public void RevokeToken(string token) => _acceptedTokens.TryRemove(token, out _);

    /// <summary>Answers 404 for the resource from now on, as a cluster does where its CRD is not installed (KEDA's, say).</summary>
    public void StopServing(ApiResource resource) => _unserved[CollectionKey(resource.Group, resource.Plural)] = true;

    /// <summary>Serves the resource again, as after its CRD is installed.</summary>
    public void Serve(ApiResource resource) => _unserved.TryRemove(CollectionKey(resource.Group, resource.Plural), out _);

    /// <summary>Creates or replaces an object (a model or a JsonObject) as a controller elsewhere would.</summary>
    /// <param name="notifyWatches">False: a change the open watches miss (as if compacted away before they saw it).</param>
    public JsonObject Put(ApiResource resource, object obj, bool notifyWatches = true)
    {
        var body = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        var collection = CollectionKey(resource.Group, resource.Plural);
        var ns = resource.Namespaced ? (string?)body["metadata"]?["namespace"] ?? "default" : null;
        var name = (string)body["metadata"]!["name"]!;
        lock (_gate)
        {
            var existing = Find(collection, ns, name);
            var stored = existing is null
                ? NewObject(body, resource.Group, resource.Version, collection, ns, keepStatus: true)
                : Updated(existing, body, keepStatus: false);
            return Commit(collection, ns, name, stored, existing is null ? "ADDED" : "MODIFIED", notifyWatches).DeepClone().AsObject();
        }
    }

    public void Delete(ApiResource resource, string? ns, string name, bool notifyWatches = true)
    {
        var collection = CollectionKey(resource.Group, resource.Plural);
        lock (_gate)
        {
            if (Find(collection, ns, name) is { } existing)
            {
                Commit(collection, ns, name, existing.DeepClone().AsObject(), "DELETED", notifyWatches);
            }
        }
    }

    public JsonObject? Get(ApiResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(CollectionKey(resource.Group, resource.Plural), ns, name)?.DeepClone().AsObject();
        }
    }

    public T? Get<T>(ApiResource resource, string? ns, string name) where T : class =>
        Get(resource, ns, name) is { } stored ? KubernetesJson.Deserialize<T>(stored) : null;

    public IReadOnlyList<JsonObject> All(ApiResource resource)
    {
        lock (_gate)
        {
            return _collections.TryGetValue(CollectionKey(resource.Group, resource.Plural), out var objects)
                ? [.. objects.Values.Select(o => o.DeepClone().AsObject())]
                : [];
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion on every open watch that allows them.</summary>
    public void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers.Where(w => w.Bookmarks))
            {
                var bookmark = new JsonObject
                {
                    ["type"] = "BOOKMARK",
                    ["object"] = new JsonObject
                    {
                        ["kind"] = watcher.Kind,
                        ["apiVersion"] = watcher.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = ResourceVersionString(), ["creationTimestamp"] = null },
                    },
                };
                watcher.Lines.Writer.TryWrite(bookmark.ToJsonString());
            }
        }
    }

    /// <summary>
    /// Compacts the history: every resourceVersion seen so far becomes too old to watch from. Open watches end
    /// with a 410 ERROR event, or (<paramref name="asHttpStatus"/>) just end, and their re-watch is answered with
    /// HTTP 410.
    /// </summary>
    public void ExpireWatches(bool asHttpStatus)
    {
        lock (_gate)
        {
            _resourceVersion++;
            _compactedResourceVersion = _resourceVersion;
            _goneAsHttpStatus = asHttpStatus;
            foreach (var watcher in _watchers)
            {
                if (!asHttpStatus)
                {
                    watcher.Lines.Writer.TryWrite(GoneEvent(watcher.From).ToJsonString());
                }

                watcher.Lines.Writer.TryComplete();
            }
        }
    }

    /// <summary>Ends every open watch stream normally, as the server does when a watch's timeout passes.</summary>
    public void CloseWatches()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Lines.Writer.TryComplete();
            }
        }
    }

    public int OpenWatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        CloseWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var header = request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
        // A copy: the request's own collection belongs to a pooled context.
        var query = new QueryCollection(request.Query.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal));
        _requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? "", query, token));

        var clientCertificateAccepted = _clientCertificateAuthority is not null && context.Connection.ClientCertificate is not null;
        if (!clientCertificateAccepted && (token is null || !_acceptedTokens.ContainsKey(token)))
        {
            await WriteAsync(context, HttpStatusCode.Unauthorized, StatusBody(HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized"));
            return;
        }

        if (ParseTarget(request.Path.Value ?? "") is not { } target || _unserved.ContainsKey(target.Collection))
        {
            await WriteAsync(context, HttpStatusCode.NotFound, StatusBody(HttpStatusCode.NotFound, "NotFound", "the server could not find the requested resource"));
            return;
        }

        var isWatch = request.Query["watch"] is ["1"] or ["true"];
        if (!isWatch && ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, context.RequestAborted);
        }

        if (isWatch && target.Name is null && request.Method == "GET")
        {
            await WatchAsync(context, target);
            return;
        }

        var (code, body) = await AnswerAsync(request, target);
        await WriteAsync(context, code, body);
    }

    private async Task<(HttpStatusCode, JsonObject)> AnswerAsync(HttpRequest request, Target target)
    {
        try
        {
            return (request.Method, target.Name, target.Subresource) switch
            {
                ("GET", null, null) => (HttpStatusCode.OK, List(target, request.Query)),
                ("GET", not null, null) => (HttpStatusCode.OK, Read(target)),
                ("POST", null, null) => (HttpStatusCode.Created, Create(target, await ReadBodyAsync(request))),
                ("PUT", not null, null) => (HttpStatusCode.OK, Replace(target, await ReadBodyAsync(request))),
                ("PUT", not null, "status") => (HttpStatusCode.OK, ReplaceStatus(target, await ReadBodyAsync(request))),
                ("PATCH", not null, _) => (HttpStatusCode.OK, Patch(target, request.ContentType, await ReadBodyAsync(request))),
                _ => throw new ApiError(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{request.Method} is not supported on {request.Path}"),
            };
        }
        catch (ApiError error)
        {
            return (error.Code, StatusBody(error.Code, error.Reason, error.Message));
        }
    }

    private JsonObject List(Target target, IQueryCollection query)
    {
        var selector = ParseSelector(query["labelSelector"].ToString());
        var limit = int.TryParse(query["limit"], out var requested) && requested > 0 ? Math.Min(requested, MaxPageSize) : MaxPageSize;
        var after = query["continue"].ToString() is { Length: > 0 } token ? Encoding.UTF8.GetString(Convert.FromBase64String(token)) : null;
        lock (_gate)
        {
            var matching = Objects(target.Collection)
                .Where(entry => (target.Namespace is null || Namespace(entry.Value) == target.Namespace) && selector(entry.Value))
                .Where(entry => after is null || string.CompareOrdinal(entry.Key, after) > 0)
                .ToList();
            var page = matching.Take(limit).ToList();
            var metadata = new JsonObject { ["resourceVersion"] = ResourceVersionString() };
            if (matching.Count > page.Count)
            {
                metadata["continue"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Key));
            }

            return new JsonObject
            {
                ["kind"] = Kinds[target.Collection] + "List",
                ["apiVersion"] = target.ApiVersion,
                ["metadata"] = metadata,
                ["items"] = new JsonArray([.. page.Select(entry => (JsonNode)entry.Value.DeepClone())]),
            };
        }
    }

    private JsonObject Read(Target target)
    {
        lock (_gate)
        {
            return Existing(target).DeepClone().AsObject();
        }
    }

    private JsonObject Create(Target target, JsonObject body)
    {
        var name = (string?)body["metadata"]?["name"]
            ?? throw new ApiError(HttpStatusCode.UnprocessableEntity, "Invalid", "metadata.name: Required value: name is required");
        CheckNamespace(target, body);
        ValidateMicroTimes(target, body);
        lock (_gate)
        {
            if (Find(target.Collection, target.Namespace, name) is not null)
            {
                throw new ApiError(HttpStatusCode.Conflict, "AlreadyExists", $"{target.QualifiedResource} \"{name}\" already exists");
            }

            var stored = NewObject(body, target.Group, target.Version, target.Collection, target.Namespace, keepStatus: false);
            return Commit(target.Collection, target.Namespace, name, stored, "ADDED", notify: true).DeepClone().AsObject();
        }
    }

    private JsonObject Replace(Target target, JsonObject body)
    {
        if ((string?)body["metadata"]?["name"] != target.Name)
        {
            throw new ApiError(HttpStatusCode.BadRequest, "BadRequest", "the name of the object does not match the name on the URL");
        }

        CheckNamespace(target, body);
        ValidateMicroTimes(target, body);
        lock (_gate)
        {
            var existing = Existing(target);
            CheckResourceVersion(target, existing, body);
            var stored = Updated(existing, body, keepStatus: WithStatusSubresource.Contains(target.Collection));
            return Commit(target.Collection, target.Namespace, target.Name!, stored, "MODIFIED", notify: true).DeepClone().AsObject();
        }
    }

    private JsonObject ReplaceStatus(Target target, JsonObject body)
    {
        lock (_gate)
        {
            var existing = StatusCapable(target);
            CheckResourceVersion(target, existing, body);
            var stored = existing.DeepClone().AsObject();
            stored["status"] = body["status"]?.DeepClone();
            return Commit(target.Collection, target.Namespace, target.Name!, stored, "MODIFIED", notify: true).DeepClone().AsObject();
        }
    }

    private JsonObject Patch(Target target, string? contentType, JsonObject patch)
    {
        if (contentType?.Split(';')[0].Trim() != "application/merge-patch+json")
        {
            throw new ApiError(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (got {contentType})");
        }

        lock (_gate)
        {
            var existing = Existing(target);
            if (target.Subresource == "scale")
            {
                return PatchScale(target, existing, patch);
            }

            var merged = MergePatch(existing.DeepClone(), patch)!.AsObject();
            CheckResourceVersion(target, existing, merged);
            JsonObject stored;
            if (target.Subresource == "status")
            {
                stored = StatusCapable(target).DeepClone().AsObject();
                stored["status"] = merged["status"]?.DeepClone();
            }
            else
            {
                stored = Updated(existing, merged, keepStatus: WithStatusSubresource.Contains(target.Collection));
            }

            return Commit(target.Collection, target.Namespace, target.Name!, stored, "MODIFIED", notify: true).DeepClone().AsObject();
        }
    }

    private JsonObject PatchScale(Target target, JsonObject deployment, JsonObject patch)
    {
        if (target.Collection != "apps/deployments")
        {
            throw new ApiError(HttpStatusCode.NotFound, "NotFound", $"{target.QualifiedResource} has no scale subresource");
        }

        var scale = MergePatch(ScaleOf(deployment), patch)!.AsObject();
        var replicas = (int?)scale["spec"]?["replicas"] ?? 0;
        var stored = deployment.DeepClone().AsObject();
        stored["spec"]!["replicas"] = replicas;
        stored = Updated(deployment, stored, keepStatus: true);
        return ScaleOf(Commit(target.Collection, target.Namespace, target.Name!, stored, "MODIFIED", notify: true));
    }

    private static JsonObject ScaleOf(JsonObject deployment)
    {
        var metadata = deployment["metadata"]!;
        var matchLabels = deployment["spec"]?["selector"]?["matchLabels"]?.AsObject() ?? [];
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = metadata["name"]?.DeepClone(),
                ["namespace"] = metadata["namespace"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["resourceVersion"] = metadata["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = metadata["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = (int?)deployment["spec"]?["replicas"] ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = (int?)deployment["status"]?["replicas"] ?? 0,
                ["selector"] = string.Join(',', matchLabels.Select(label => $"{label.Key}={label.Value}")),
            },
        };
    }

    private async Task WatchAsync(HttpContext context, Target target)
    {
        if (!long.TryParse(context.Request.Query["resourceVersion"], CultureInfo.InvariantCulture, out var from))
        {
            await WriteAsync(context, HttpStatusCode.BadRequest, StatusBody(HttpStatusCode.BadRequest, "BadRequest", "this fake needs a resourceVersion to watch from"));
            return;
        }

        var watcher = new WatchSubscriber(
            target.Collection,
            target.Namespace,
            ParseSelector(context.Request.Query["labelSelector"].ToString()),
            context.Request.Query["allowWatchBookmarks"] is ["true"] or ["1"],
            Kinds[target.Collection],
            target.ApiVersion,
            from);
        bool gone, goneAsHttpStatus;
        lock (_gate)
        {
            gone = from < _compactedResourceVersion;
            goneAsHttpStatus = _goneAsHttpStatus;
            if (!gone)
            {
                // Under the lock, so no change falls between the replayed history and the live stream.
                foreach (var change in _history.Where(change => change.ResourceVersion > from && watcher.Matches(change.Collection, change.Object)))
                {
                    watcher.Lines.Writer.TryWrite(change.ToLine());
                }

                _watchers.Add(watcher);
            }
        }

        if (gone && goneAsHttpStatus)
        {
            await WriteAsync(context, HttpStatusCode.Gone, (JsonObject)GoneEvent(from)["object"]!.DeepClone());
            return;
        }

        context.Response.StatusCode = (int)HttpStatusCode.OK;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        try
        {
            if (gone)
            {
                await context.Response.WriteAsync(GoneEvent(from).ToJsonString() + "\n", context.RequestAborted);
                return;
            }

            await foreach (var line in watcher.Lines.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    /// <summary>Stores a change under a new resourceVersion and tells the matching open watches.</summary>
    private JsonObject Commit(string collection, string? ns, string name, JsonObject obj, string type, bool notify)
    {
        _resourceVersion++;
        obj["metadata"]!["resourceVersion"] = ResourceVersionString();
        var objects = Objects(collection);
        if (type == "DELETED")
        {
            objects.Remove(Key(ns, name));
        }
        else
        {
            objects[Key(ns, name)] = obj;
        }

        if (notify)
        {
            var change = new StoredChange(_resourceVersion, collection, type, obj.DeepClone().AsObject());
            _history.Add(change);
            foreach (var watcher in _watchers.Where(w => w.Matches(collection, change.Object)))
            {
                watcher.Lines.Writer.TryWrite(change.ToLine());
            }
        }

        return obj;
    }

    private JsonObject NewObject(JsonObject body, string group, string version, string collection, string? ns, bool keepStatus)
    {
        var obj = body.DeepClone().AsObject();
        obj["apiVersion"] = group.Length == 0 ? version : $"{group}/{version}";
        obj["kind"] = Kinds[collection];
        var metadata = obj["metadata"]!.AsObject();
        metadata["namespace"] = ns;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        metadata["generation"] = 1L;
        if (!keepStatus && WithStatusSubresource.Contains(collection))
        {
            obj.Remove("status");
        }

        return obj;
    }

    /// <summary>The stored object replaced by <paramref name="body"/>: identity kept, generation bumped when spec changed.</summary>
    private static JsonObject Updated(JsonObject existing, JsonObject body, bool keepStatus)
    {
        var obj = body.DeepClone().AsObject();
        obj["apiVersion"] = existing["apiVersion"]?.DeepClone();
        obj["kind"] = existing["kind"]?.DeepClone();
        var metadata = obj["metadata"]!.AsObject();
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp" })
        {
            metadata[field] = existing["metadata"]![field]?.DeepClone();
        }

        var generation = (long?)existing["metadata"]!["generation"] ?? 1;
        metadata["generation"] = JsonNode.DeepEquals(existing["spec"], obj["spec"]) ? generation : generation + 1;
        if (keepStatus)
        {
            obj["status"] = existing["status"]?.DeepClone();
        }

        return obj;
    }

    private JsonObject Existing(Target target) =>
        Find(target.Collection, target.Namespace, target.Name!)
        ?? throw new ApiError(HttpStatusCode.NotFound, "NotFound", $"{target.QualifiedResource} \"{target.Name}\" not found");

    private JsonObject StatusCapable(Target target) =>
        WithStatusSubresource.Contains(target.Collection)
            ? Existing(target)
            : throw new ApiError(HttpStatusCode.NotFound, "NotFound", "the server could not find the requested resource");

    private static void CheckResourceVersion(Target target, JsonObject existing, JsonObject body)
    {
        var sent = (string?)body["metadata"]?["resourceVersion"];
        if (!string.IsNullOrEmpty(sent) && sent != (string?)existing["metadata"]!["resourceVersion"])
        {
            throw new ApiError(HttpStatusCode.Conflict, "Conflict",
                $"Operation cannot be fulfilled on {target.QualifiedResource} \"{target.Name}\": the object has been modified; please apply your changes to the latest version and try again");
        }
    }

    private static void CheckNamespace(Target target, JsonObject body)
    {
        var sent = (string?)body["metadata"]?["namespace"];
        if (!string.IsNullOrEmpty(sent) && sent != target.Namespace)
        {
            throw new ApiError(HttpStatusCode.BadRequest, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    /// <summary>As the real decoder: Lease times are MicroTime, Go layout 2006-01-02T15:04:05.000000Z07:00.</summary>
    private static void ValidateMicroTimes(Target target, JsonObject body)
    {
        if (target.Collection != "coordination.k8s.io/leases")
        {
            return;
        }

        foreach (var field in new[] { "acquireTime", "renewTime" })
        {
            if (body["spec"]?[field] is { } value && !MicroTimePattern().IsMatch((string?)value ?? ""))
            {
                throw new ApiError(HttpStatusCode.BadRequest, "BadRequest",
                    $"Lease in version \"v1\" cannot be handled as a Lease: parsing time \"{value}\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse");
            }
        }
    }

    private JsonObject? Find(string collection, string? ns, string name) => Objects(collection).GetValueOrDefault(Key(ns, name));

    private SortedDictionary<string, JsonObject> Objects(string collection)
    {
        if (!_collections.TryGetValue(collection, out var objects))
        {
            _collections[collection] = objects = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        }

        return objects;
    }

    private string ResourceVersionString() => _resourceVersion.ToString(CultureInfo.InvariantCulture);

    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private static string CollectionKey(string group, string plural) => $"{group}/{plural}";

    private static string? Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"];

    private static JsonObject GoneEvent(long from) => new()
    {
        ["type"] = "ERROR",
        ["object"] = StatusBody(HttpStatusCode.Gone, "Expired", $"too old resource version: {from}"),
    };

    private static JsonObject StatusBody(HttpStatusCode code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = (int)code,
    };

    /// <summary>RFC 7386.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = MergePatch(result[name]?.DeepClone(), value);
            }
        }

        return result;
    }

    /// <summary>Equality-based selectors only: "a=b,c==d,e!=f".</summary>
    private static Func<JsonObject, bool> ParseSelector(string selector)
    {
        var requirements = selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(requirement =>
            {
                var negated = requirement.Contains("!=", StringComparison.Ordinal);
                var parts = requirement.Split(negated ? "!=" : requirement.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                return parts.Length == 2
                    ? (Key: parts[0].Trim(), Value: parts[1].Trim(), Negated: negated)
                    : throw new ApiError(HttpStatusCode.BadRequest, "BadRequest", $"this fake understands equality selectors only: {requirement}");
            })
            .ToList();
        return obj =>
        {
            var labels = obj["metadata"]?["labels"] as JsonObject;
            return requirements.All(r => ((string?)labels?[r.Key] == r.Value) != r.Negated);
        };
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            return (await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted))?.AsObject()
                ?? throw new ApiError(HttpStatusCode.BadRequest, "BadRequest", "empty body");
        }
        catch (JsonException e)
        {
            throw new ApiError(HttpStatusCode.BadRequest, "BadRequest", e.Message);
        }
    }

    private static async Task WriteAsync(HttpContext context, HttpStatusCode code, JsonObject body)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]] and the same under /apis/{group}/{version}.</summary>
    private static Target? ParseTarget(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var (group, version, rest) = segments switch
        {
            ["api", var coreVersion, .. var coreRest] => ("", coreVersion, coreRest),
            ["apis", var apiGroup, var apiVersion, .. var apiRest] => (apiGroup, apiVersion, apiRest),
            _ => ("", "", Array.Empty<string>()),
        };

        string? ns = null;
        if (rest is ["namespaces", var namespaceName, _, ..])
        {
            ns = namespaceName;
            rest = rest[2..];
        }

        var target = rest switch
        {
            [var plural] => new Target(group, version, plural, ns, null, null),
            [var plural, var name] => new Target(group, version, plural, ns, name, null),
            [var plural, var name, var subresource] => new Target(group, version, plural, ns, name, subresource),
            _ => null,
        };
        return target is not null && Kinds.ContainsKey(target.Collection) ? target : null;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex MicroTimePattern();

    public sealed record RecordedRequest(string Method, string Path, IQueryCollection Query, string? BearerToken)
    {
        /// <summary>A watch, as the server tells it from a list: watch=true (or 1); clients send watch=false on lists.</summary>
        public bool IsWatch => Query["watch"] is ["1"] or ["true"];
    }

    private sealed record Target(string Group, string Version, string Plural, string? Namespace, string? Name, string? Subresource)
    {
        public string Collection => CollectionKey(Group, Plural);

        public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

        public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
    }

    private sealed record StoredChange(long ResourceVersion, string Collection, string Type, JsonObject Object)
    {
        public string ToLine() => new JsonObject { ["type"] = Type, ["object"] = Object.DeepClone() }.ToJsonString();
    }

    private sealed record WatchSubscriber(
        string Collection, string? Namespace, Func<JsonObject, bool> Selector, bool Bookmarks, string Kind, string ApiVersion, long From)
    {
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public bool Matches(string collection, JsonObject obj) =>
            collection == Collection && (Namespace is null || FakeApiServer.Namespace(obj) == Namespace) && Selector(obj);
    }

    private sealed class ApiError(HttpStatusCode code, string reason, string message) : Exception(message)
    {
        public HttpStatusCode Code { get; } = code;

        public string Reason { get; } = reason;
    }
}
