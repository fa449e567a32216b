using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;

namespace Platform.Operator.Controller;

/// <summary>
/// One evaluation of one ThreadPoolAutoscaler, level-triggered: read everything afresh (spec, target,
/// pods, token, signals), decide with the pure <see cref="ScalingDecider"/>, act in Enforce mode, and
/// explain (status, conditions, events, metrics). A problem becomes a condition and an event, never an action.
/// </summary>
public sealed partial class AutoscalerReconciler(
    IKubernetesApi api,
    EventRecorder events,
    PrometheusQueryClient prometheus,
    MinThreadsRollout rollout,
    OperatorMetrics metrics,
    TimeProvider clock,
    ILogger<AutoscalerReconciler> logger)
{
    private readonly ConcurrentDictionary<string, AutoscalerMemory> _memory = new();

    /// <summary>Forgets autoscalers that no longer exist (their recommendation history and pod reports).</summary>
    public void Retain(IReadOnlyCollection<string> uids)
    {
        foreach (var gone in _memory.Keys.Where(k => !uids.Contains(k)).ToList())
        {
            if (_memory.TryRemove(gone, out var memory))
            {
                metrics.Forget(memory.Name);
            }
        }
    }

    public async Task ReconcileAsync(ThreadPoolAutoscaler autoscaler, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ns = autoscaler.Metadata.Namespace ?? "default";
        var name = $"{ns}/{autoscaler.Metadata.Name}";
        var memory = _memory.GetOrAdd(autoscaler.Metadata.Uid ?? name, _ => new AutoscalerMemory(name));
        var now = clock.GetUtcNow();
        var generation = autoscaler.Metadata.Generation;
        var status = autoscaler.Status ?? new ThreadPoolAutoscalerStatus();
        status.ObservedGeneration = generation;
        var reference = Reference(autoscaler);

        try
        {
            var validation = SpecValidator.Validate(autoscaler.Spec);
            var clusterErrors = string.IsNullOrWhiteSpace(autoscaler.Spec.Prometheus.Url)
                ? ["spec.prometheus.url is required in a cluster: the operator reads the pods' signals from Prometheus."]
                : Array.Empty<string>();
            if (validation.Policy is null || clusterErrors.Length > 0)
            {
                var message = string.Join(" ", validation.Errors.Concat(clusterErrors));
                SetCondition(status, ConditionTypes.SpecValid, false, ControllerReasons.InvalidSpec, message, generation, now);
                SetCondition(status, ConditionTypes.Ready, false, ControllerReasons.InvalidSpec, "The spec is invalid; nothing is changed until it is fixed.", generation, now);
                SetCondition(status, ConditionTypes.ScalingActive, false, ControllerReasons.InvalidSpec, message, generation, now);
                await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.InvalidSpec, message, cancellationToken);
                return;
            }
            var policy = validation.Policy;
            SetCondition(status, ConditionTypes.SpecValid, true, ControllerReasons.Reconciled, "The spec is valid.", generation, now);

            var target = autoscaler.Spec.TargetRef.Name;
            var deployment = await api.GetAsync<Deployment>(KubeResource.Deployments, ns, target, cancellationToken);
            if (deployment is null)
            {
                var message = $"Deployment {target} not found in namespace {ns}.";
                SetCondition(status, ConditionTypes.Ready, false, ControllerReasons.TargetNotFound, message, generation, now);
                SetCondition(status, ConditionTypes.ScalingActive, false, ControllerReasons.TargetNotFound, message, generation, now);
                await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.TargetNotFound, message, cancellationToken);
                return;
            }

            if (await FindConflictAsync(ns, target, cancellationToken) is { } conflict)
            {
                var message = $"{conflict} also scales Deployment {target}: refusing to co-manage it. Remove one of the two.";
                SetCondition(status, ConditionTypes.Ready, false, ControllerReasons.ConflictingAutoscaler, message, generation, now);
                SetCondition(status, ConditionTypes.ScalingActive, false, ControllerReasons.ConflictingAutoscaler, message, generation, now);
                await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.ConflictingAutoscaler, message, cancellationToken);
                return;
            }

            var selector = deployment.Spec.Selector is { } s ? KubernetesQuantities.Selector(s) : null;
            var pods = (await api.ListAsync<Pod>(KubeResource.Pods, ns, selector, cancellationToken)).Items.Where(KubernetesQuantities.IsReady).ToList();
            var targets = pods.Select(p => new PodTarget(p.Metadata.Name!, KubernetesQuantities.AdminUri(p.Status!.PodIP!, autoscaler.Spec.Admin.Port),
                "pod", p.Metadata.Name!, KubernetesQuantities.CpuRequest(p))).ToList();
            memory.Reported.Retain(targets.Select(t => t.Name).ToList());

            var (signals, signalError) = await ReadSignalsAsync(autoscaler.Spec, ns, targets, cancellationToken);
            memory.Reported.Observe(signals);
            var enforce = autoscaler.Spec.Mode == AutoscalerMode.Enforce;
            var currentReplicas = deployment.Spec.Replicas ?? 1;
            var reported = memory.Reported.For(targets.Select(t => t.Name));
            var currentMinThreads = enforce
                ? Math.Clamp(status.DesiredMinThreads ?? policy.MinThreadsBaseline, policy.MinThreadsBaseline, policy.MinThreadsMax)
                : reported.Values.Max() ?? policy.MinThreadsBaseline;
            var outcome = ScalingDecider.Decide(new DecisionInput(policy, signals, currentReplicas, currentMinThreads, now), memory.History);
            memory.History = outcome.History;
            var decision = outcome.Decision;

            var metricsMessage = signalError ?? decision.Regime switch
            {
                Regime.Unknown => decision.Message,
                _ => $"Fresh signals for {decision.Signals.PodsWithData} of {targets.Count} ready pods.",
            };
            var metricsReason = signalError is not null ? ControllerReasons.PrometheusUnavailable
                : decision.Regime == Regime.Unknown ? decision.Reason : ControllerReasons.SignalsFresh;
            SetCondition(status, ConditionTypes.MetricsAvailable, signalError is null && decision.Regime != Regime.Unknown, metricsReason, metricsMessage, generation, now);
            SetCondition(status, ConditionTypes.ScalingActive, enforce, enforce ? ControllerReasons.Enforcing : ControllerReasons.ObserveMode,
                enforce ? "Decisions are applied." : "Observe mode: decisions are reported, nothing is changed.", generation, now);
            var limited = decision.Reason is DecisionReasons.AtMaxReplicas or DecisionReasons.AtMaxMinThreads;
            SetCondition(status, ConditionTypes.ScalingLimited, limited, limited ? decision.Reason : ControllerReasons.WithinBounds,
                limited ? decision.Message : "Desired values are within the bounds.", generation, now);

            var ready = true;
            var readyMessage = "Reconciled.";
            if (enforce)
            {
                if (decision.DesiredReplicas != currentReplicas)
                {
                    try
                    {
                        await api.PatchMergeAsync<Scale>(KubeResource.Deployments, ns, target,
                            new JsonObject { ["spec"] = new JsonObject { ["replicas"] = decision.DesiredReplicas } }, "scale", cancellationToken);
                        status.LastScaleTime = now;
                        await events.RecordAsync(reference, EventRecorder.Normal, decision.Reason,
                            $"New size: {decision.DesiredReplicas}; reason: {decision.Message}", cancellationToken);
                    }
                    catch (KubernetesApiException ex)
                    {
                        metrics.RecordError("kubernetes");
                        ready = false;
                        readyMessage = $"Could not scale {target}: {ex.Message}";
                        await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.FailedRescale, readyMessage, cancellationToken);
                    }
                }

                var token = await ReadTokenAsync(ns, autoscaler.Spec.Admin.TokenSecretRef, cancellationToken);
                if (token is null)
                {
                    ready = false;
                    readyMessage = $"Secret {autoscaler.Spec.Admin.TokenSecretRef.Name} (key {autoscaler.Spec.Admin.TokenSecretRef.Key}) not found: min threads cannot be set.";
                    await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.AdminTokenUnavailable, readyMessage, cancellationToken);
                }
                else if (targets.Count > 0)
                {
                    if (decision.DesiredMinThreads != currentMinThreads)
                    {
                        await events.RecordAsync(reference, EventRecorder.Normal, decision.Reason,
                            $"Min threads: {decision.DesiredMinThreads}; reason: {decision.Message}", cancellationToken);
                    }
                    var pushes = await rollout.ConvergeAsync(targets, reported, decision.DesiredMinThreads, token, cancellationToken);
                    memory.Reported.Observe(pushes, clock.GetUtcNow());
                    memory.LastPushErrors = pushes.Where(p => p.Error is not null).ToDictionary(p => p.Pod, p => p.Error!);
                    foreach (var failed in memory.LastPushErrors)
                    {
                        metrics.RecordError("pod_admin");
                        await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.FailedSetMinThreads,
                            $"Pod {failed.Key}: {failed.Value}", cancellationToken);
                    }
                }
            }
            status.DesiredMinThreads = decision.DesiredMinThreads;

            var applied = memory.Reported.For(targets.Select(t => t.Name));
            status.CurrentReplicas = currentReplicas;
            status.DesiredReplicas = decision.DesiredReplicas;
            status.ReadyPods = targets.Count;
            status.PodsAtDesiredMinThreads = applied.Values.Count(v => v == decision.DesiredMinThreads);
            status.Pods = targets.Select(t => new PodMinThreads
            {
                Name = t.Name,
                MinWorkerThreads = applied[t.Name],
                LastError = memory.LastPushErrors.GetValueOrDefault(t.Name),
            }).ToList();
            if (decision.Acts || status.LastDecision?.Reason != decision.Reason)
            {
                status.LastDecision = Describe(decision, now);
            }
            SetCondition(status, ConditionTypes.Ready, ready, ready ? ControllerReasons.Reconciled : ControllerReasons.FailedRescale, readyMessage, generation, now);

            metrics.RecordDecision(name, decision);
            metrics.SetState(name, currentReplicas, decision.DesiredReplicas, decision.DesiredMinThreads, status.PodsAtDesiredMinThreads ?? 0);
            if (decision.Acts)
            {
                LogDecision(logger, name, decision.Regime, decision.ReplicaAction, currentReplicas, decision.DesiredReplicas,
                    decision.MinThreadsAction, currentMinThreads, decision.DesiredMinThreads, decision.Reason, decision.Message, autoscaler.Spec.Mode);
            }
        }
        catch (KubernetesApiException ex)
        {
            metrics.RecordError("kubernetes");
            SetCondition(status, ConditionTypes.Ready, false, "KubernetesApiError", ex.Message, generation, now);
            LogKubernetesError(logger, name, ex.Message);
        }
        finally
        {
            autoscaler.Status = status;
            await WriteStatusAsync(autoscaler, cancellationToken);
            metrics.RecordReconcile(name, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task<(IReadOnlyList<PodSignals> Signals, string? Error)> ReadSignalsAsync(
        ThreadPoolAutoscalerSpec spec, string ns, IReadOnlyList<PodTarget> targets, CancellationToken cancellationToken)
    {
        try
        {
            var url = spec.Prometheus.Url.EndsWith('/') ? spec.Prometheus.Url : spec.Prometheus.Url + "/";
            var source = new PrometheusSignalSource(prometheus, new Uri(url), new Dictionary<string, string> { ["namespace"] = ns });
            return (await source.ReadAsync(targets, TimeSpan.FromSeconds(spec.Prometheus.WindowSeconds), cancellationToken), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or PrometheusQueryException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            metrics.RecordError("prometheus");
            return (targets.Select(t => new PodSignals(t.Name, null, null, null, null, null, null, null, null)).ToList(),
                $"Prometheus at {spec.Prometheus.Url} could not be queried: {ex.Message}");
        }
    }

    private async Task<string?> FindConflictAsync(string ns, string target, CancellationToken cancellationToken)
    {
        var hpas = await api.ListAsync<HorizontalPodAutoscaler>(KubeResource.HorizontalPodAutoscalers, ns, cancellationToken: cancellationToken);
        if (hpas.Items.FirstOrDefault(h => Targets(h.Spec.ScaleTargetRef, target)) is { } hpa)
        {
            return $"HorizontalPodAutoscaler {hpa.Metadata.Name}";
        }
        try
        {
            var scaledObjects = await api.ListAsync<ScaledObject>(KubeResource.ScaledObjects, ns, cancellationToken: cancellationToken);
            if (scaledObjects.Items.FirstOrDefault(o => Targets(o.Spec.ScaleTargetRef, target)) is { } keda)
            {
                return $"KEDA ScaledObject {keda.Metadata.Name}";
            }
        }
        catch (KubernetesApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // KEDA is not installed: nothing can conflict through it.
        }
        return null;

        // KEDA's scaleTargetRef omits kind for Deployments; the HPA's names it.
        static bool Targets(CrossVersionObjectReference? reference, string name) =>
            reference?.Name == name && (reference.Kind is null or "Deployment");
    }

    private async Task<string?> ReadTokenAsync(string ns, SecretKeyReference reference, CancellationToken cancellationToken)
    {
        var secret = await api.GetAsync<Secret>(KubeResource.Secrets, ns, reference.Name, cancellationToken);
        if (secret?.Data?.GetValueOrDefault(reference.Key) is not { } encoded)
        {
            return null;
        }
        try
        {
            var token = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Trim();
            return token.Length == 0 ? null : token;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private async Task WriteStatusAsync(ThreadPoolAutoscaler autoscaler, CancellationToken cancellationToken)
    {
        var ns = autoscaler.Metadata.Namespace;
        var name = autoscaler.Metadata.Name!;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await api.ReplaceStatusAsync(KubeResource.ThreadPoolAutoscalers, ns, name, autoscaler, cancellationToken);
                return;
            }
            catch (ConflictException) when (attempt < 4)
            {
                // Someone changed the object (a spec edit): take its latest version and write our status onto it.
                var latest = await api.GetAsync<ThreadPoolAutoscaler>(KubeResource.ThreadPoolAutoscalers, ns, name, cancellationToken);
                if (latest is null)
                {
                    return;
                }
                latest.Status = autoscaler.Status;
                autoscaler = latest;
            }
            catch (KubernetesApiException ex)
            {
                metrics.RecordError("kubernetes");
                LogKubernetesError(logger, $"{ns}/{name}", $"status update failed: {ex.Message}");
                return;
            }
        }
    }

    private static void SetCondition(ThreadPoolAutoscalerStatus status, string type, bool value, string reason, string message, long? generation, DateTimeOffset now) =>
        status.Conditions = ConditionList.Set(status.Conditions, type, value, reason, message, generation, now);

    private static ObjectReference Reference(ThreadPoolAutoscaler autoscaler) => new()
    {
        ApiVersion = autoscaler.ApiVersion,
        Kind = autoscaler.Kind,
        Name = autoscaler.Metadata.Name,
        Namespace = autoscaler.Metadata.Namespace,
        Uid = autoscaler.Metadata.Uid,
        ResourceVersion = autoscaler.Metadata.ResourceVersion,
    };

    private static LastDecision Describe(Decision decision, DateTimeOffset now) => new()
    {
        Time = now,
        ReplicaAction = decision.ReplicaAction.ToString(),
        MinThreadsAction = decision.MinThreadsAction.ToString(),
        Reason = decision.Reason,
        Message = decision.Message,
        Signals = new DecisionSignalsStatus
        {
            CpuUtilization = Format(decision.Signals.CpuUtilization),
            SchedulingDelayP90Milliseconds = Format(decision.Signals.SchedulingDelaySeconds * 1000),
            QueueLength = Format(decision.Signals.QueueLength),
            ThreadCount = Format(decision.Signals.ThreadCount),
            RequestRate = Format(decision.Signals.RequestRate),
            LatencyP95Milliseconds = Format(decision.Signals.LatencyP95Seconds * 1000),
            PodsWithData = decision.Signals.PodsWithData,
        },
    };

    private static string? Format(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture);

    private sealed class AutoscalerMemory(string name)
    {
        public string Name { get; } = name;

        public RecommendationHistory History { get; set; } = RecommendationHistory.Empty;

        public ReportedMinThreads Reported { get; } = new();

        public Dictionary<string, string> LastPushErrors { get; set; } = [];
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Autoscaler} {Regime}: replicas {ReplicaAction} {CurrentReplicas} -> {DesiredReplicas}, min threads {MinThreadsAction} {CurrentMinThreads} -> {DesiredMinThreads}; {Reason}: {Explanation} ({Mode})")]
    private static partial void LogDecision(ILogger logger, string autoscaler, Regime regime, ReplicaAction replicaAction, int currentReplicas, int desiredReplicas,
        MinThreadsAction minThreadsAction, int currentMinThreads, int desiredMinThreads, string reason, string explanation, AutoscalerMode mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Autoscaler}: Kubernetes API error: {Error}")]
    private static partial void LogKubernetesError(ILogger logger, string autoscaler, string error);
}
