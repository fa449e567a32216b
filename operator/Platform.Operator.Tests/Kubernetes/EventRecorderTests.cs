using k8s;
using k8s.Models;
using Platform.Operator.Kubernetes;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>Event recording and aggregation against the fake API server.</summary>
public sealed class EventRecorderTests : IAsyncLifetime
{
    private static readonly V1ObjectReference Autoscaler = new()
    {
        ApiVersion = "autoscaling.platform.dev/v1alpha1",
        Kind = "ThreadPoolAutoscaler",
        Name = "web",
        NamespaceProperty = "shop",
        Uid = "5f0c6a8e-0000-4000-8000-000000000001",
    };

    private readonly ManualTimeProvider _clock = new();
    private FakeApiServer _server = null!;
    private KubernetesApiClient _client = null!;
    private EventRecorder _recorder = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = _server.CreateClient();
        _recorder = new EventRecorder(_client, "platform-operator", "operator-0", _clock);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_first_event_is_created_in_the_objects_namespace()
    {
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "Scaled web from 2 to 3 replicas", Cancel);

        var recorded = Assert.Single(Events());
        Assert.Equal("shop", recorded.Metadata.NamespaceProperty);
        Assert.StartsWith("web.", recorded.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(("ThreadPoolAutoscaler", "web", Autoscaler.Uid), (recorded.InvolvedObject.Kind, recorded.InvolvedObject.Name, recorded.InvolvedObject.Uid));
        Assert.Equal(("Normal", "ScaledUp", "Scaled web from 2 to 3 replicas"), (recorded.Type, recorded.Reason, recorded.Message));
        Assert.Equal(1, recorded.Count);
        Assert.Equal(Microseconds(_clock.GetUtcNow()), recorded.FirstTimestamp);
        Assert.Equal(recorded.FirstTimestamp, recorded.LastTimestamp);
        Assert.Equal("platform-operator", recorded.Source?.Component);
        Assert.Equal(("platform-operator", "operator-0"), (recorded.ReportingComponent, recorded.ReportingInstance));
    }

    [Fact]
    public async Task The_same_event_again_patches_count_and_lastTimestamp_of_the_first()
    {
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Warning, "TargetNotFound", "Deployment web not found", Cancel);
        var first = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(3));

        await _recorder.RecordAsync(Autoscaler, EventRecorder.Warning, "TargetNotFound", "Deployment web not found", Cancel);

        var recorded = Assert.Single(Events());
        Assert.Equal(2, recorded.Count);
        Assert.Equal(Microseconds(first), recorded.FirstTimestamp);
        Assert.Equal(Microseconds(_clock.GetUtcNow()), recorded.LastTimestamp);
        var patch = Assert.Single(_server.Requests, r => r.Method == "PATCH");
        Assert.Equal($"/api/v1/namespaces/shop/events/{recorded.Metadata.Name}", patch.Path);
        Assert.Single(_server.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task A_different_message_or_an_event_after_the_window_creates_a_new_event()
    {
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 3", Cancel);
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 4", Cancel);
        Assert.Equal(2, Events().Count);

        _clock.Advance(TimeSpan.FromMinutes(11));
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 4", Cancel);

        Assert.Equal(3, Events().Count);
        Assert.All(Events(), e => Assert.Equal(1, e.Count));
    }

    [Fact]
    public async Task An_aggregated_event_that_is_gone_from_the_server_is_created_anew()
    {
        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 3", Cancel);
        var expired = Assert.Single(Events());
        _server.Delete(ApiResource.Events, "shop", expired.Metadata.Name!);

        await _recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 3", Cancel);

        var recreated = Assert.Single(Events());
        Assert.NotEqual(expired.Metadata.Name, recreated.Metadata.Name);
        Assert.Equal(1, recreated.Count);
    }

    [Fact]
    public async Task A_failure_to_record_is_not_thrown()
    {
        using var refused = _server.CreateClient(token: "revoked");
        var recorder = new EventRecorder(refused, "platform-operator");

        await recorder.RecordAsync(Autoscaler, EventRecorder.Normal, "ScaledUp", "to 3", Cancel);

        Assert.Empty(Events());
    }

    private List<Corev1Event> Events() =>
        [.. _server.All(ApiResource.Events).Select(e => KubernetesJson.Deserialize<Corev1Event>(e))];
}
