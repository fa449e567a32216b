using System.Diagnostics;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Loops;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Local;

/// <summary>What local mode reports at GET /status: the same facts a custom resource's status would hold.</summary>
/// <param name="DesiredMinThreads">Null until a target has reported its min threads (the operator adopts them then).</param>
/// <param name="PodMinThreads">What each target last reported (or answered to a push), never what was asked.</param>
public sealed record LocalStatus(
    AutoscalerMode Mode,
    int CurrentReplicas,
    int? DesiredReplicas,
    int? DesiredMinThreads,
    int PodsAtDesiredMinThreads,
    IReadOnlyDictionary<string, int?> PodMinThreads,
    Decision? LastMinThreadsDecision,
    DateTimeOffset? LastMinThreadsDecisionTime,
    Decision? LastReplicaDecision,
    DateTimeOffset? LastReplicaDecisionTime,
    IReadOnlyList<PushResult> LastPushes);

/// <summary>
/// The control loops without a cluster. Targets are API control listeners (each plays one pod). The
/// min-threads loop reads them every spec.podSignals interval and pushes min threads (Enforce); the
/// replica loop decides from Prometheus (or the same scrapes) every evaluation interval and only reports,
/// since there is no Deployment to scale.
/// </summary>
public sealed partial class LocalAutoscaler(
    LocalOptions options,
    AutoscalerPolicy policy,
    ISignalSource replicaSignals,
    MinThreadsLoop minThreadsLoop,
    OperatorMetrics metrics,
    TimeProvider clock,
    ILogger<LocalAutoscaler> logger) : BackgroundService
{
    public const string Name = "local";

    private readonly MinThreadsMemory _minThreads = new();
    private readonly IReadOnlyList<PodTarget> _pods = options.Targets
        .Select((t, i) => options.MetricsUrls?[i] is { } metricsUrl
            ? new PodTarget(t.ToString(), t, "instance", metricsUrl.Authority, options.CpuRequestCores, metricsUrl)
            : new PodTarget(t.ToString(), t, "instance", t.Authority, options.CpuRequestCores))
        .ToList();
    private readonly Lock _statusGate = new();
    private RecommendationHistory _replicaHistory = RecommendationHistory.Empty;
    private Decision? _lastReplicaDecision;
    private DateTimeOffset? _lastReplicaDecisionTime;
    private IReadOnlyList<PushResult> _lastPushes = [];
    private volatile LocalStatus? _status;

    public LocalStatus? Status => _status;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.SetLeader(true);
        await Task.WhenAll(
            Every(policy.PodSignalInterval, TickMinThreadsAsync, stoppingToken),
            Every(TimeSpan.FromSeconds(options.Spec.EvaluationIntervalSeconds), EvaluateReplicasAsync, stoppingToken));
    }

    /// <summary>One tick of the min-threads loop (the tests drive it directly).</summary>
    public async Task<Decision> TickMinThreadsAsync(CancellationToken cancellationToken)
    {
        var tick = await minThreadsLoop.TickAsync(Name, policy, options.Spec.Mode, _pods, _pods.Count,
            string.IsNullOrEmpty(options.AdminToken) ? null : options.AdminToken, _minThreads, cancellationToken);
        lock (_statusGate)
        {
            if (tick.Pushes.Count > 0)
            {
                _lastPushes = tick.Pushes;
            }
            Publish();
        }
        return tick.Decision;
    }

    /// <summary>One evaluation of the replica loop: decided and reported, never applied (there is no Deployment).</summary>
    public async Task<Decision> EvaluateReplicasAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<PodSignals> signals;
        try
        {
            signals = await replicaSignals.ReadAsync(_pods, TimeSpan.FromSeconds(options.Spec.Prometheus.WindowSeconds), cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or PrometheusQueryException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // No signals: the decision logic holds.
            metrics.RecordError("prometheus");
            LogSignalsFailed(logger, ex.Message);
            signals = _pods.Select(p => new PodSignals(p.Name, null, null, null, null, null, null, null, null)).ToList();
        }

        var now = clock.GetUtcNow();
        var current = _minThreads.Desired ?? policy.MinThreadsBaseline;
        var outcome = ScalingDecider.DecideReplicas(new DecisionInput(policy, signals, _pods.Count, current, now), _replicaHistory);
        _replicaHistory = outcome.History;
        var decision = outcome.Decision;
        metrics.RecordDecision(Name, OperatorMetrics.ReplicaLoop, decision);
        metrics.SetReplicaState(Name, _pods.Count, decision.DesiredReplicas);
        metrics.SetReplicaInputs(Name, decision, policy);
        metrics.RecordReconcile(Name, OperatorMetrics.ReplicaLoop, Stopwatch.GetElapsedTime(started));
        lock (_statusGate)
        {
            if (decision.Acts || _lastReplicaDecision?.Reason != decision.Reason)
            {
                _lastReplicaDecision = decision;
                _lastReplicaDecisionTime = now;
            }
            Publish();
        }
        if (decision.Acts)
        {
            LogReplicaDecision(logger, decision.Regime, decision.ReplicaAction, _pods.Count, decision.DesiredReplicas, decision.Reason, decision.Message);
        }
        return decision;
    }

    private void Publish()
    {
        var reported = _minThreads.Reported.For(_pods.Select(p => p.Name));
        var desired = _minThreads.Desired;
        _status = new LocalStatus(options.Spec.Mode, _pods.Count, _lastReplicaDecision?.DesiredReplicas, desired,
            reported.Values.Count(v => v is not null && v == desired), reported,
            _minThreads.LastNewsworthy, _minThreads.LastNewsworthyTime, _lastReplicaDecision, _lastReplicaDecisionTime, _lastPushes);
    }

    private async Task Every(TimeSpan interval, Func<CancellationToken, Task<Decision>> evaluate, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await evaluate(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEvaluationFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Regime}: replicas {ReplicaAction} {CurrentReplicas} -> {DesiredReplicas}; {Reason}: {Explanation} (local mode: reported, not applied)")]
    private static partial void LogReplicaDecision(ILogger logger, Regime regime, ReplicaAction replicaAction, int currentReplicas, int desiredReplicas,
        string reason, string explanation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read signals for the replica decision; holding: {Error}")]
    private static partial void LogSignalsFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Evaluation failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
