using System.Collections.Concurrent;
using Platform.Operator.Api;
using Platform.Operator.Kubernetes;
using Platform.Testing;
using k8s.Models;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>The list-then-watch cache of autoscalers against the fake API server: events, bookmarks, re-watches, relists, backoff.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ResourceWatcherTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(ResourceChangeType Type, string Key)> _changes = new();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private FakeApiServer _server = null!;
    private KubernetesApiClient _client = null!;
    private ResourceWatcher<ThreadPoolAutoscaler> _watcher = null!;
    private Task _running = Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task It_lists_then_applies_watch_events_to_the_cache_in_order()
    {
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a"));
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "b"));
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("other", "x"));

        await StartAsync();
        Assert.Equal(["shop/a", "shop/b"], _watcher.Snapshot().Keys.Order());

        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "c"));
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a", evaluationIntervalSeconds: 40));
        _server.Delete(ApiResource.ThreadPoolAutoscalers, "shop", "b");
        await WaitUntilAsync(() => _changes.Count == 5, "five changes are reported");

        Assert.Equal(
            [(ResourceChangeType.Added, "shop/a"), (ResourceChangeType.Added, "shop/b"), (ResourceChangeType.Added, "shop/c"),
             (ResourceChangeType.Modified, "shop/a"), (ResourceChangeType.Deleted, "shop/b")],
            _changes);
        Assert.Equal(["shop/a", "shop/c"], _watcher.Snapshot().Keys.Order());
        Assert.Equal(40, _watcher.Get("shop", "a")!.Spec.EvaluationIntervalSeconds);
        Assert.Null(_watcher.Get("shop", "b"));

        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_bookmark_advances_the_resourceVersion_a_closed_stream_is_re_watched_from()
    {
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a"));
        await StartAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");

        // Other resources' writes move the resourceVersion on without an event on this watch.
        _server.Put(ApiResource.Secrets, new V1Secret { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "shop" } });
        var bookmarked = _server.ResourceVersion;
        _server.SendBookmarks();
        _server.CloseWatches();
        await WaitUntilAsync(() => WatchRequests().Count == 2, "the watcher re-watches");

        Assert.Equal(bookmarked, WatchRequests()[1].Query["resourceVersion"]);
        Assert.Equal(1, ListRequestCount());
        Assert.Equal([(ResourceChangeType.Added, "shop/a")], _changes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_410_Gone_relists_and_reports_only_what_was_missed(bool asHttpStatus)
    {
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a"));
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "b"));
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "c"));
        await StartAsync();
        await WaitUntilAsync(() => _server.OpenWatchCount == 1, "the watch is open");
        _changes.Clear();

        // Changes the watch never sees, then compaction: the watch ends with 410 (event or HTTP status).
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a", evaluationIntervalSeconds: 70), notifyWatches: false);
        _server.Delete(ApiResource.ThreadPoolAutoscalers, "shop", "b", notifyWatches: false);
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "d"), notifyWatches: false);
        _server.ExpireWatches(asHttpStatus);
        await WaitUntilAsync(() => ListRequestCount() == 2 && _server.OpenWatchCount == 1, "the watcher relists and watches again");

        Assert.Equal(["shop/a", "shop/c", "shop/d"], _watcher.Snapshot().Keys.Order());
        Assert.Equal(70, _watcher.Get("shop", "a")!.Spec.EvaluationIntervalSeconds);
        Assert.Equal(
            [(ResourceChangeType.Added, "shop/d"), (ResourceChangeType.Deleted, "shop/b"), (ResourceChangeType.Modified, "shop/a")],
            _changes.OrderBy(change => change.Key == "shop/d" ? 0 : change.Key == "shop/b" ? 1 : 2));

        // And it is watching again from the relist.
        _changes.Clear();
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "e"));
        await WaitUntilAsync(() => !_changes.IsEmpty, "the next change is reported");
        Assert.Equal([(ResourceChangeType.Added, "shop/e")], _changes);
    }

    [Fact]
    public async Task It_backs_off_while_the_server_refuses_it_and_recovers()
    {
        _server.Put(ApiResource.ThreadPoolAutoscalers, Autoscaler("shop", "a"));
        _client.Dispose();
        _client = _server.CreateClient(token: "not-yet");
        Start();

        await Task.Delay(TimeSpan.FromMilliseconds(700), TestContext.Current.CancellationToken);
        Assert.False(_watcher.Synced.IsCompleted);
        // Attempts at 0, 0.2 and 0.6 s: the delay doubles from 200 ms.
        Assert.InRange(ListRequestCount(), 2, 4);

        _server.AcceptToken("not-yet");
        await _watcher.Synced.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal([(ResourceChangeType.Added, "shop/a")], _changes);
    }

    private async Task StartAsync()
    {
        Start();
        await _watcher.Synced.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    private void Start()
    {
        var client = _client;
        _watcher = new ResourceWatcher<ThreadPoolAutoscaler>(ThreadPoolAutoscaler.Plural,
            cancellationToken => client.ListAutoscalersAsync("shop", cancellationToken),
            (resourceVersion, cancellationToken) => client.WatchAutoscalersAsync("shop", resourceVersion, cancellationToken),
            change => _changes.Enqueue((change.Type, change.Key)));
        _running = _watcher.RunAsync(_stop.Token);
    }

    private List<FakeApiServer.RecordedRequest> WatchRequests() =>
        [.. _server.Requests.Where(r => r.Path == "/apis/autoscaling.platform.dev/v1alpha1/namespaces/shop/threadpoolautoscalers" && r.IsWatch)];

    private int ListRequestCount() =>
        _server.Requests.Count(r => r.Path == "/apis/autoscaling.platform.dev/v1alpha1/namespaces/shop/threadpoolautoscalers" && !r.IsWatch);
}
