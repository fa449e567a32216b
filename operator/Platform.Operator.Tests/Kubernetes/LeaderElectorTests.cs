using k8s;
using k8s.Models;
using Platform.Operator.Kubernetes;
using Platform.Testing;
using static Platform.Operator.Tests.Kubernetes.TestSupport;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>Lease-based leader election against the fake API server.</summary>
[Collection(TimingSensitive.Name)]
public sealed class LeaderElectorTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private KubernetesApiClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Of_two_candidates_for_a_free_lease_exactly_one_gets_it()
    {
        var clock = new ManualTimeProvider();
        var a = Candidate("a", clock);
        var b = Candidate("b", clock);

        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));

        var lease = Lease();
        Assert.Equal(("a", 15, 0), (lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.LeaseTransitions));
        Assert.Equal(Microseconds(clock.GetUtcNow()), lease.Spec.AcquireTime);
        Assert.Equal(lease.Spec.AcquireTime, lease.Spec.RenewTime);
        // MicroTime on the wire; the fake refuses anything else, as the real decoder does.
        var raw = _server.Get(ApiResource.Leases, "ops", "operator")!["spec"]!;
        Assert.Equal("2026-11-21T23:05:08.123456Z", (string?)raw["acquireTime"]);
    }

    [Fact]
    public async Task While_the_holder_renews_others_wait_and_once_it_stops_one_takes_over_after_the_lease_duration()
    {
        var clock = new ManualTimeProvider();
        var a = Candidate("a", clock);
        var b = Candidate("b", clock);
        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        clock.Advance(TimeSpan.FromSeconds(10));
        // 20 s after acquisition, but b saw the lease change (the renewal) only now.
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));
        Assert.Equal(Microseconds(clock.GetUtcNow().AddSeconds(-10)), Lease().Spec.RenewTime);

        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await b.TryAcquireOrRenewAsync(Cancel));

        var lease = Lease();
        Assert.Equal(("b", 1), (lease.Spec.HolderIdentity, lease.Spec.LeaseTransitions));
        Assert.Equal(Microseconds(clock.GetUtcNow()), lease.Spec.AcquireTime);
        Assert.False(await a.TryAcquireOrRenewAsync(Cancel));
    }

    [Fact]
    public async Task A_released_lease_is_taken_at_once()
    {
        var clock = new ManualTimeProvider();
        var a = Candidate("a", clock);
        var b = Candidate("b", clock);
        Assert.True(await a.TryAcquireOrRenewAsync(Cancel));
        Assert.False(await b.TryAcquireOrRenewAsync(Cancel));

        await a.ReleaseAsync();

        var released = Lease();
        Assert.Equal(("", 1), (released.Spec.HolderIdentity, released.Spec.LeaseDurationSeconds));
        Assert.True(await b.TryAcquireOrRenewAsync(Cancel));
        Assert.Equal("b", Lease().Spec.HolderIdentity);
    }

    [Fact]
    public async Task Running_two_candidates_one_leads_and_stopping_it_hands_over_without_waiting_for_expiry()
    {
        using var stopA = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var a = Candidate("a", TimeProvider.System, FastTimings);
        var b = Candidate("b", TimeProvider.System, FastTimings);
        var runA = a.RunAsync(stopA.Token);
        var runB = b.RunAsync(stopB.Token);

        await WaitUntilAsync(() => a.IsLeader || b.IsLeader, "one candidate leads");
        var (leader, follower, stopLeader, runLeader) = a.IsLeader ? (a, b, stopA, runA) : (b, a, stopB, runB);
        var leadership = leader.LeadershipToken;
        // Several renewals (every 100 ms) with the follower trying all along: never two leaders, no change of leader.
        for (var i = 0; i < 50; i++)
        {
            Assert.True(leader.IsLeader && !follower.IsLeader);
            await Task.Delay(20, Cancel);
        }

        var stoppedAt = DateTime.UtcNow;
        await stopLeader.CancelAsync();
        await runLeader.WaitAsync(TimeSpan.FromSeconds(5), Cancel);

        Assert.False(leader.IsLeader);
        Assert.True(leadership.IsCancellationRequested);
        await WaitUntilAsync(() => follower.IsLeader, "the follower takes over");
        // The lease lasts 2 s; released, it is taken within a few retry periods.
        Assert.True(DateTime.UtcNow - stoppedAt < TimeSpan.FromSeconds(1.5), "The released lease was not taken over at once.");
        await stopA.CancelAsync();
        await stopB.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_steps_down_before_another_takes_over()
    {
        _server.AcceptToken("token-a");
        _server.AcceptToken("token-b");
        using var clientA = _server.CreateClient("token-a");
        using var clientB = _server.CreateClient("token-b");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        DateTime? aStopped = null, bStarted = null;
        var a = new LeaderElector(clientA, FastTimings("a") with { OnStoppedLeading = () => aStopped = DateTime.UtcNow });
        var b = new LeaderElector(clientB, FastTimings("b") with { OnStartedLeading = _ => bStarted = DateTime.UtcNow });
        var runA = a.RunAsync(stop.Token);
        await WaitUntilAsync(() => a.IsLeader, "a leads");
        var runB = b.RunAsync(stop.Token);
        var leadershipA = a.LeadershipToken;

        // a is cut off from the API server: its renewals fail from now on.
        _server.RevokeToken("token-a");
        await WaitUntilAsync(() => b.IsLeader, "b takes over");

        Assert.False(a.IsLeader);
        Assert.True(leadershipA.IsCancellationRequested);
        Assert.NotNull(aStopped);
        Assert.True(aStopped < bStarted, $"a stepped down at {aStopped:O}, after b took over at {bStarted:O}.");
        Assert.Equal(("b", 1), (Lease().Spec.HolderIdentity, Lease().Spec.LeaseTransitions));
        await stop.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task An_API_server_that_cannot_be_reached_is_retried_until_stopped()
    {
        var unreachable = new KubernetesApiClient(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{FreeTcpPort.Next()}/" });
        using (unreachable)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
            var elector = new LeaderElector(unreachable, FastTimings("a"));
            var run = elector.RunAsync(stop.Token);

            // Ten retry periods of refused connections: still campaigning, never leading.
            await Task.Delay(TimeSpan.FromSeconds(1), Cancel);
            Assert.False(run.IsCompleted);
            Assert.False(elector.IsLeader);

            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        }
    }

    // Whole seconds for the lease (leaseDurationSeconds is an integer), fast retries.
    private static LeaderElectionOptions FastTimings(string identity) => new()
    {
        Namespace = "ops",
        LeaseName = "operator",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
    };

    private LeaderElector Candidate(string identity, TimeProvider clock, Func<string, LeaderElectionOptions>? options = null) =>
        new(_client, options?.Invoke(identity) ?? new LeaderElectionOptions { Namespace = "ops", LeaseName = "operator", Identity = identity }, clock);

    private V1Lease Lease() => _server.Get<V1Lease>(ApiResource.Leases, "ops", "operator")!;
}
