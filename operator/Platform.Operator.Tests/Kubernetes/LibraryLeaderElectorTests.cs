using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Platform.Testing;
using static Platform.Operator.Tests.Kubernetes.TestSupport;
using LibraryLeaderElector = k8s.LeaderElection.LeaderElector;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>
/// Why the operator keeps its own <see cref="Platform.Operator.Kubernetes.LeaderElector"/> on the client's Lease model
/// rather than the client's <see cref="LibraryLeaderElector"/>: two of the library's electors against the fake API server
/// keep one leader, but three guarantees the operator relies on (LeaderElectorTests) do not hold. Should one of these
/// tests fail after an upgrade of the client, the library has changed: reconsider.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class LibraryLeaderElectorTests : IAsyncLifetime
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);

    private readonly List<k8s.Kubernetes> _clients = [];
    private FakeApiServer _server = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FakeApiServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task It_keeps_one_leader_but_a_stopped_leader_leaves_the_lease_held_so_the_successor_waits_the_full_duration()
    {
        var leading = new Dictionary<string, bool>();
        using var stopA = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var runA = Run(Candidate("a", leading), stopA.Token);
        var runB = Run(Candidate("b", leading), stopB.Token);
        await WaitUntilAsync(() => Leaders(leading).Count == 1, "one candidate leads");
        await Task.Delay(TimeSpan.FromSeconds(1), Cancel);
        var leader = Assert.Single(Leaders(leading));

        var stoppedAt = DateTime.UtcNow;
        await (leader == "a" ? stopA : stopB).CancelAsync();
        await (leader == "a" ? runA : runB).WaitAsync(TimeSpan.FromSeconds(5), Cancel);

        // Not released on the way out (ours writes no holder and a one-second duration).
        Assert.Equal(leader, Lease().Spec.HolderIdentity);
        await WaitUntilAsync(() => Leaders(leading).Count == 1 && Leaders(leading)[0] != leader, "the other candidate takes over");
        Assert.True(DateTime.UtcNow - stoppedAt > LeaseDuration * 0.75, "The successor took over before the lease expired.");
        await stopA.CancelAsync();
        await stopB.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task A_leader_cut_off_from_the_API_server_stops_leading_yet_still_says_it_is_the_leader()
    {
        _server.AcceptToken("token-a");
        var leading = new Dictionary<string, bool>();
        var a = Candidate("a", leading, token: "token-a");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var run = Run(a, stop.Token);
        await WaitUntilAsync(() => leading.GetValueOrDefault("a"), "a leads");

        _server.RevokeToken("token-a");
        await WaitUntilAsync(() => !leading["a"], "a stops leading (its renewals fail)");

        // IsLeader() reads the last lease it saw, which named it: anything asking it would go on acting.
        Assert.True(a.IsLeader());
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task An_API_server_that_cannot_be_reached_ends_its_campaign_with_an_exception()
    {
        var unreachable = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = $"http://127.0.0.1:{FreeTcpPort.Next()}/" });
        _clients.Add(unreachable);
        var elector = new LibraryLeaderElector(new LeaderElectionConfig(new LeaseLock(unreachable, "ops", "operator", "a"))
        {
            LeaseDuration = LeaseDuration,
            RenewDeadline = TimeSpan.FromSeconds(1),
            RetryPeriod = TimeSpan.FromMilliseconds(100),
        });

        // Ours retries every retry period until the server answers (LeaderElectorTests).
        await Assert.ThrowsAsync<HttpRequestException>(() => elector.RunAndTryToHoldLeadershipForeverAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(10), Cancel));
    }

    private LibraryLeaderElector Candidate(string identity, Dictionary<string, bool> leading, string token = FakeApiServer.DefaultToken)
    {
        var client = new k8s.Kubernetes(_server.Config(token));
        _clients.Add(client);
        var elector = new LibraryLeaderElector(new LeaderElectionConfig(new LeaseLock(client, "ops", "operator", identity))
        {
            LeaseDuration = LeaseDuration,
            RenewDeadline = TimeSpan.FromSeconds(1),
            RetryPeriod = TimeSpan.FromMilliseconds(100),
        });
        elector.OnStartedLeading += () => { lock (leading) { leading[identity] = true; } };
        elector.OnStoppedLeading += () => { lock (leading) { leading[identity] = false; } };
        return elector;
    }

    private static List<string> Leaders(Dictionary<string, bool> leading)
    {
        lock (leading)
        {
            return [.. leading.Where(entry => entry.Value).Select(entry => entry.Key)];
        }
    }

    /// <summary>Campaigns until cancelled; the cancellation itself is how it ends, not a failure.</summary>
    private static async Task Run(LibraryLeaderElector elector, CancellationToken stop)
    {
        try
        {
            await elector.RunAndTryToHoldLeadershipForeverAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private V1Lease Lease() => _server.Get<V1Lease>(ApiResource.Leases, "ops", "operator")!;
}
