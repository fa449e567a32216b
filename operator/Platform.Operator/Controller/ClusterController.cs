using k8s;
using Platform.Operator.Api;
using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Controller;

/// <summary>
/// Cluster mode: watches ThreadPoolAutoscalers and, while this replica holds the leader Lease, runs one
/// worker per autoscaler, independent of the others, so one slow Prometheus or API call holds up nobody
/// else. Each worker runs the two loops of its autoscaler: replicas every spec.evaluationIntervalSeconds
/// (brought forward when the spec changes, retried with a short backoff when it fails), min threads every
/// spec.podSignals interval. Level-triggered: the operator's own status writes do not wake it.
/// </summary>
public sealed partial class ClusterController(
    IKubernetesApi api,
    AutoscalerReconciler reconciler,
    MinThreadsReconciler minThreads,
    OperatorMetrics metrics,
    ClusterSettings settings,
    KubernetesClientConfiguration config,
    TimeProvider clock,
    ILoggerFactory loggers,
    ILogger<ClusterController> logger) : BackgroundService
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);

    // The workers use these; primary-constructor parameters are not visible to a nested class.
    private readonly AutoscalerReconciler _reconciler = reconciler;
    private readonly MinThreadsReconciler _minThreads = minThreads;
    private readonly OperatorMetrics _metrics = metrics;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    /// <summary>The first retry after a failed replica evaluation; it doubles up to the evaluation interval.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wake = new SemaphoreSlim(0);
        var watcher = new ResourceWatcher<ThreadPoolAutoscaler>(ThreadPoolAutoscaler.Plural,
            cancellationToken => api.ListAutoscalersAsync(settings.WatchNamespace, cancellationToken),
            (resourceVersion, cancellationToken) => api.WatchAutoscalersAsync(settings.WatchNamespace, resourceVersion, cancellationToken),
            _ =>
            {
                if (wake.CurrentCount == 0)
                {
                    wake.Release();
                }
            }, _clock, loggers.CreateLogger("Platform.Operator.Watch"));
        var elector = new LeaderElector(api, new LeaderElectionOptions
        {
            Namespace = settings.LeaseNamespace ?? config.Namespace ?? "default",
            LeaseName = settings.LeaseName,
            Identity = Identity(),
        }, _clock, loggers.CreateLogger("Platform.Operator.LeaderElection"));

        var watching = watcher.RunAsync(stoppingToken);
        var electing = elector.RunAsync(stoppingToken);
        var workers = new Dictionary<string, Worker>();
        try
        {
            await watcher.Synced.WaitAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                _metrics.SetLeader(elector.IsLeader);
                var snapshot = watcher.Snapshot();
                foreach (var (key, worker) in workers.Where(w => !elector.IsLeader || !snapshot.TryGetValue(w.Key, out var live) || live.Metadata.Uid != w.Value.Uid).ToList())
                {
                    workers.Remove(key);
                    await worker.StopAsync();
                    _metrics.Forget(worker.Memory.Name);
                }

                if (elector.IsLeader)
                {
                    foreach (var (key, cached) in snapshot)
                    {
                        if (!workers.TryGetValue(key, out var worker))
                        {
                            worker = new Worker(this, key, cached.Metadata.Uid, () => watcher.Snapshot().GetValueOrDefault(key),
                                CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, elector.LeadershipToken));
                            workers[key] = worker;
                        }
                        worker.Observe(cached.Metadata.Generation);
                    }
                }

                await wake.WaitAsync(IdleTick, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _metrics.SetLeader(false);
            await Task.WhenAll(workers.Values.Select(w => w.StopAsync()));
            await Task.WhenAll(Quietly(watching), Quietly(electing));
        }
    }

    /// <summary>One autoscaler's two loops and their shared memory.</summary>
    private sealed class Worker
    {
        private readonly ClusterController _controller;
        private readonly Func<ThreadPoolAutoscaler?> _latest;
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _specChanged = new(0);
        private readonly Task _running;
        private long? _generation;

        public Worker(ClusterController controller, string key, string? uid, Func<ThreadPoolAutoscaler?> latest, CancellationTokenSource stop)
        {
            _controller = controller;
            _latest = latest;
            _stop = stop;
            Uid = uid;
            Memory = new AutoscalerMemory(key);
            _running = Task.WhenAll(Task.Run(() => ReplicaLoopAsync(stop.Token)), Task.Run(() => MinThreadsLoopAsync(stop.Token)));
        }

        public string? Uid { get; }

        public AutoscalerMemory Memory { get; }

        /// <summary>A new generation (a spec change) brings the replica evaluation forward.</summary>
        public void Observe(long? generation)
        {
            if (_generation is not null && generation != _generation)
            {
                _specChanged.Release();
            }
            _generation = generation;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Quietly(_running);
            _stop.Dispose();
        }

        private async Task ReplicaLoopAsync(CancellationToken stop)
        {
            var retry = FirstRetry;
            while (!stop.IsCancellationRequested)
            {
                if (_latest() is not { } cached)
                {
                    return;
                }
                var interval = TimeSpan.FromSeconds(Math.Clamp(cached.Spec.EvaluationIntervalSeconds, 5, 3600));
                bool completed;
                try
                {
                    completed = await _controller._reconciler.ReconcileAsync(Copy(cached), Memory, stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    _controller._metrics.RecordError("kubernetes");
                    LogLoopFailed(_controller._logger, Memory.Name, "replica", ex);
                    completed = false;
                }
                var wait = completed ? interval : retry;
                retry = completed ? FirstRetry : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, interval.Ticks));
                try
                {
                    await _specChanged.WaitAsync(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private async Task MinThreadsLoopAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                if (_latest() is not { } cached)
                {
                    return;
                }
                var interval = TimeSpan.FromMilliseconds(Math.Clamp(cached.Spec.PodSignals?.IntervalMilliseconds ?? 1000,
                    SpecLimits.MinPodSignalIntervalMilliseconds, SpecLimits.MaxPodSignalIntervalMilliseconds));
                var started = _controller._clock.GetTimestamp();
                try
                {
                    await _controller._minThreads.TickAsync(Copy(cached), Memory, stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    LogLoopFailed(_controller._logger, Memory.Name, "min-threads", ex);
                }
                var rest = interval - _controller._clock.GetElapsedTime(started);
                try
                {
                    await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, _controller._clock, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // The cache is shared and read-only: each evaluation works on a copy.
    private static ThreadPoolAutoscaler Copy(ThreadPoolAutoscaler autoscaler) =>
        KubernetesJson.Deserialize<ThreadPoolAutoscaler>(KubernetesJson.Serialize(autoscaler));

    private static string Identity() =>
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Guid.NewGuid():N}"[..Math.Min(63, Environment.MachineName.Length + 33)];

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Autoscaler}: the {Loop} loop failed")]
    private static partial void LogLoopFailed(ILogger logger, string autoscaler, string loop, Exception exception);
}
