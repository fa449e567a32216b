using System.Diagnostics;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Local;

/// <summary>What local mode reports at GET /status: the same facts a custom resource's status would hold.</summary>
public sealed record LocalStatus(
    AutoscalerMode Mode,
    int CurrentReplicas,
    int DesiredReplicas,
    int DesiredMinThreads,
    int PodsAtDesiredMinThreads,
    Decision? LastDecision,
    DateTimeOffset? LastDecisionTime,
    IReadOnlyList<PushResult> LastPushes);

/// <summary>
/// The control loop without a cluster: reads signals for the targets, decides with the same
/// <see cref="ScalingDecider"/>, pushes min threads to the targets (Enforce) and only reports replica
/// decisions, since there is no Deployment to scale.
/// </summary>
public sealed partial class LocalAutoscaler(
    LocalOptions options,
    AutoscalerPolicy policy,
    ISignalSource signals,
    MinThreadsRollout rollout,
    OperatorMetrics metrics,
    TimeProvider clock,
    ILogger<LocalAutoscaler> logger) : BackgroundService
{
    public const string Name = "local";

    private readonly ReportedMinThreads _reported = new();
    private readonly IReadOnlyList<PodTarget> _pods = options.Targets
        .Select((t, i) => options.MetricsUrls?[i] is { } metrics
            ? new PodTarget(t.ToString(), t, "instance", metrics.Authority, CpuRequestCores: null, metrics)
            : new PodTarget(t.ToString(), t, "instance", t.Authority, CpuRequestCores: null))
        .ToList();
    private RecommendationHistory _history = RecommendationHistory.Empty;
    private int _desiredMinThreads = policy.MinThreadsBaseline;
    private volatile LocalStatus? _status;

    public LocalStatus? Status => _status;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.SetLeader(true);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Spec.EvaluationIntervalSeconds), clock);
        do
        {
            try
            {
                await EvaluateOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEvaluationFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<Decision> EvaluateOnceAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var podSignals = await ReadSignalsAsync(cancellationToken);
        _reported.Observe(podSignals);
        var enforce = options.Spec.Mode == AutoscalerMode.Enforce;

        // Observing, the operator's own wish is not what the pods have: decide from what they report.
        var current = enforce ? _desiredMinThreads : _reported.For(_pods.Select(p => p.Name)).Values.Max() ?? policy.MinThreadsBaseline;
        var now = clock.GetUtcNow();
        var outcome = ScalingDecider.Decide(new DecisionInput(policy, podSignals, _pods.Count, current, now), _history);
        _history = outcome.History;
        var decision = outcome.Decision;

        IReadOnlyList<PushResult> pushes = [];
        if (enforce)
        {
            _desiredMinThreads = decision.DesiredMinThreads;
            pushes = await rollout.ConvergeAsync(_pods, _reported.For(_pods.Select(p => p.Name)), _desiredMinThreads, options.AdminToken, cancellationToken);
            _reported.Observe(pushes, clock.GetUtcNow());
            foreach (var failed in pushes.Where(p => p.Error is not null))
            {
                metrics.RecordError("pod_admin");
                LogPushFailed(logger, failed.Pod, failed.Error!);
            }
        }

        var atDesired = _reported.For(_pods.Select(p => p.Name)).Values.Count(v => v == decision.DesiredMinThreads);
        metrics.RecordDecision(Name, decision);
        metrics.SetState(Name, _pods.Count, decision.DesiredReplicas, decision.DesiredMinThreads, atDesired);
        metrics.RecordReconcile(Name, Stopwatch.GetElapsedTime(started));
        // Like a resource's status: the last decision changes when something was done or the reason changed.
        var previous = _status;
        var newsworthy = decision.Acts || previous?.LastDecision?.Reason != decision.Reason;
        _status = new LocalStatus(options.Spec.Mode, _pods.Count, decision.DesiredReplicas, decision.DesiredMinThreads, atDesired,
            newsworthy ? decision : previous!.LastDecision,
            newsworthy ? now : previous!.LastDecisionTime,
            pushes);
        if (decision.Acts)
        {
            LogDecision(logger, decision.Regime, decision.ReplicaAction, _pods.Count, decision.DesiredReplicas, decision.MinThreadsAction,
                current, decision.DesiredMinThreads, decision.Reason, decision.Message, enforce ? "applied min threads; replicas reported only" : "observe mode: nothing applied");
        }
        return decision;
    }

    private async Task<IReadOnlyList<PodSignals>> ReadSignalsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await signals.ReadAsync(_pods, TimeSpan.FromSeconds(options.Spec.Prometheus.WindowSeconds), cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or PrometheusQueryException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // No signals: the decision logic holds everything.
            metrics.RecordError("prometheus");
            LogSignalsFailed(logger, ex.Message);
            return _pods.Select(p => new PodSignals(p.Name, null, null, null, null, null, null, null, null)).ToList();
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Regime}: replicas {ReplicaAction} {CurrentReplicas} -> {DesiredReplicas}, min threads {MinThreadsAction} {CurrentMinThreads} -> {DesiredMinThreads}; {Reason}: {Explanation} ({Effect})")]
    private static partial void LogDecision(ILogger logger, Regime regime, ReplicaAction replicaAction, int currentReplicas, int desiredReplicas,
        MinThreadsAction minThreadsAction, int currentMinThreads, int desiredMinThreads, string reason, string explanation, string effect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read signals; holding: {Error}")]
    private static partial void LogSignalsFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set min threads on {Pod}: {Error}")]
    private static partial void LogPushFailed(ILogger logger, string pod, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Evaluation failed")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
