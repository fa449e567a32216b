using Platform.Testing;
using System.Net;
using System.Net.Http.Json;
using Platform.Api.Tests.Infrastructure;

namespace Platform.Api.Tests;

/// <summary>
/// The effect the testbed exists to show. With the default min threads (the processor count), a burst
/// of blocking requests queues: the pool adds threads slowly, so latency climbs far above the wait and
/// the scheduling delay rises. The same burst in async mode completes near the wait. After
/// PUT /admin/threadpool raises min threads, the blocking burst no longer queues. Margins are wide: the
/// expected effect is several-fold, the assertions ask for much less.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class ThreadPoolEffectTests
{
    private const int BurstSize = 60;
    private const int WaitMs = 500;

    [Fact]
    public async Task A_blocking_burst_queues_at_default_min_threads_async_does_not_and_raising_min_threads_fixes_it()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var api = await ApiProcess.StartAsync();

        var async = await Burst.RunAsync(api, $"/io/delay/async?ms={WaitMs}", BurstSize, cancel);
        var blocking = await Burst.RunAsync(api, $"/io/delay/sync?ms={WaitMs}", BurstSize, cancel);
        var raise = await api.Client.SendAsync(api.AdminRequest(HttpMethod.Put, "/admin/threadpool",
            JsonContent.Create(new { minWorkerThreads = BurstSize + 40 })), cancel);
        var fixedBlocking = await Burst.RunAsync(api, $"/io/delay/sync?ms={WaitMs}", BurstSize, cancel);

        TestContext.Current.TestOutputHelper?.WriteLine($"async: {async}");
        TestContext.Current.TestOutputHelper?.WriteLine($"sync, default min threads: {blocking}");
        TestContext.Current.TestOutputHelper?.WriteLine($"sync, min threads {BurstSize + 40}: {fixedBlocking}");

        Assert.Equal(HttpStatusCode.OK, raise.StatusCode);
        Assert.Equal(0, async.Failures + blocking.Failures + fixedBlocking.Failures);

        // Async: everything completes near the wait, nothing waits for a thread.
        Assert.True(async.Max < TimeSpan.FromMilliseconds(WaitMs * 3), $"async: {async}");

        // Blocking at default min threads: far above the wait, and the server saw it as queueing.
        Assert.True(blocking.Max > TimeSpan.FromMilliseconds(WaitMs * 3), $"blocking: {blocking}");
        Assert.True(blocking.MeanSchedulingDelaySeconds > 0.05, $"blocking: {blocking}");
        Assert.True(blocking.MeanSchedulingDelaySeconds > 5 * Math.Max(async.MeanSchedulingDelaySeconds, 0.001), $"async {async} / blocking {blocking}");

        // Raised min threads: the same burst no longer queues.
        Assert.True(fixedBlocking.Max < TimeSpan.FromMilliseconds(WaitMs * 3), $"fixed: {fixedBlocking}");
        Assert.True(fixedBlocking.Max * 2 < blocking.Max, $"fixed {fixedBlocking} / blocking {blocking}");
        Assert.True(fixedBlocking.MeanSchedulingDelaySeconds * 5 < blocking.MeanSchedulingDelaySeconds, $"fixed {fixedBlocking} / blocking {blocking}");
    }

    [Fact]
    public async Task Sync_over_async_gets_threads_injected_faster_than_thread_sleep()
    {
        // Task waits take the runtime's cooperative-blocking path (threads added within tens of ms);
        // Thread.Sleep only gets starvation injection (about 2 threads per second).
        var cancel = TestContext.Current.CancellationToken;
        const int concurrency = 40;
        await using var sleeping = await ApiProcess.StartAsync();
        var sync = await Burst.RunAsync(sleeping, "/io/delay/sync?ms=1000", concurrency, cancel);
        await using var waiting = await ApiProcess.StartAsync();
        var syncOverAsync = await Burst.RunAsync(waiting, "/io/delay/sync-over-async?ms=1000", concurrency, cancel);

        TestContext.Current.TestOutputHelper?.WriteLine($"sync: {sync}");
        TestContext.Current.TestOutputHelper?.WriteLine($"sync-over-async: {syncOverAsync}");

        Assert.True(syncOverAsync.ThreadsAfter >= 1.5 * sync.ThreadsAfter, $"sync {sync} / sync-over-async {syncOverAsync}");
        Assert.True(syncOverAsync.Max < sync.Max, $"sync {sync} / sync-over-async {syncOverAsync}");
    }
}
