using System.Text.Json;
using System.Threading.Channels;
using Platform.Operator.Api;
using Platform.Operator.Hosting;
using Platform.Operator.Kubernetes;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Controller;

/// <summary>
/// Cluster mode: watches ThreadPoolAutoscalers and, while this replica holds the leader Lease, evaluates
/// each one on its own interval. Level-triggered: a watch event only brings an evaluation forward when
/// the spec changed (a new generation); the operator's own status writes do not wake it.
/// </summary>
public sealed partial class ClusterController(
    IKubernetesApi api,
    AutoscalerReconciler reconciler,
    OperatorMetrics metrics,
    ClusterSettings settings,
    KubernetesClientConfig config,
    TimeProvider clock,
    ILoggerFactory loggers,
    ILogger<ClusterController> logger) : BackgroundService
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wake = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        var watcher = new ResourceWatcher<ThreadPoolAutoscaler>(api, KubeResource.ThreadPoolAutoscalers, settings.WatchNamespace,
            change => wake.Writer.TryWrite(change.Key), timeProvider: clock, logger: loggers.CreateLogger("Platform.Operator.Watch"));
        var elector = new LeaderElector(api, new LeaderElectionOptions
        {
            Namespace = settings.LeaseNamespace ?? config.Namespace,
            LeaseName = settings.LeaseName,
            Identity = Identity(),
        }, clock, loggers.CreateLogger("Platform.Operator.LeaderElection"));

        var watching = watcher.RunAsync(stoppingToken);
        var electing = elector.RunAsync(stoppingToken);
        try
        {
            await watcher.Synced.WaitAsync(stoppingToken);
            var due = new Dictionary<string, DateTimeOffset>();
            var reconciledGeneration = new Dictionary<string, long?>();
            while (!stoppingToken.IsCancellationRequested)
            {
                metrics.SetLeader(elector.IsLeader);
                var snapshot = watcher.Snapshot();
                reconciler.Retain(snapshot.Values.Select(a => a.Metadata.Uid ?? "").ToList());
                foreach (var key in due.Keys.Where(k => !snapshot.ContainsKey(k)).ToList())
                {
                    due.Remove(key);
                    reconciledGeneration.Remove(key);
                }

                if (elector.IsLeader)
                {
                    using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, elector.LeadershipToken);
                    foreach (var (key, cached) in snapshot)
                    {
                        var now = clock.GetUtcNow();
                        var specChanged = reconciledGeneration.GetValueOrDefault(key, -1) != cached.Metadata.Generation;
                        if (!specChanged && due.TryGetValue(key, out var next) && now < next)
                        {
                            continue;
                        }
                        try
                        {
                            // The cache is shared and read-only: evaluate a copy.
                            await reconciler.ReconcileAsync(Copy(cached), leadership.Token);
                        }
                        catch (OperationCanceledException) when (leadership.IsCancellationRequested)
                        {
                            break;
                        }
                        catch (Exception ex)
                        {
                            metrics.RecordError("kubernetes");
                            LogReconcileFailed(logger, key, ex);
                        }
                        reconciledGeneration[key] = cached.Metadata.Generation;
                        due[key] = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Clamp(cached.Spec.EvaluationIntervalSeconds, 5, 3600));
                    }
                }

                var wait = due.Count == 0 ? IdleTick : TimeSpan.FromTicks(Math.Clamp((due.Values.Min() - clock.GetUtcNow()).Ticks, 0, IdleTick.Ticks));
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(wait);
                try
                {
                    await wake.Reader.WaitToReadAsync(timeout.Token);
                    while (wake.Reader.TryRead(out _))
                    {
                        // Drained: the loop re-reads the cache and compares generations.
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            metrics.SetLeader(false);
            await Task.WhenAll(Quietly(watching), Quietly(electing));
        }
    }

    private static ThreadPoolAutoscaler Copy(ThreadPoolAutoscaler autoscaler) =>
        JsonSerializer.Deserialize<ThreadPoolAutoscaler>(JsonSerializer.SerializeToUtf8Bytes(autoscaler, KubeJson.Options), KubeJson.Options)!;

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

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling {Autoscaler} failed")]
    private static partial void LogReconcileFailed(ILogger logger, string autoscaler, Exception exception);
}
