using System.Diagnostics;
using System.Text;
using k8s.Models;
using Platform.Operator.Actuators;
using Platform.Operator.Api;
using Platform.Operator.Decisions;
using Platform.Operator.Kubernetes;
using Platform.Operator.Signals;
using Platform.Operator.Telemetry;
using Conditions = System.Collections.Generic.List<(string Type, bool Value, string Reason, string Message)>;

namespace Platform.Operator.Controller;

/// <summary>
/// The replica loop's evaluation of one ThreadPoolAutoscaler, level-triggered, in four steps:
/// <b>observe</b> everything afresh (spec, target, pods, token, Prometheus signals), <b>decide</b> with the
/// pure <see cref="ScalingDecider.DecideReplicas"/>, <b>act</b> in Enforce mode (the replica count), and
/// <b>report</b> (status, conditions, events, metrics). A problem becomes a condition and an event, never
/// an action. What it observes about the pods and the token also serves the min-threads loop until the next
/// evaluation.
/// </summary>
public sealed partial class AutoscalerReconciler(
    IKubernetesApi api,
    EventRecorder events,
    PrometheusQueryClient prometheus,
    ReplicaActuator replicas,
    StatusWriter status,
    OperatorMetrics metrics,
    TimeProvider clock,
    ILogger<AutoscalerReconciler> logger)
{
    /// <summary>One evaluation. Returns false when it could not complete (an API error): the caller retries soon.</summary>
    /// <remarks>
    /// The slow part (Kubernetes reads, Prometheus queries) runs outside <see cref="AutoscalerMemory.Gate"/>,
    /// so a slow Prometheus never holds up the min-threads loop; conditions and the status write run inside it.
    /// </remarks>
    public async Task<bool> ReconcileAsync(ThreadPoolAutoscaler autoscaler, AutoscalerMemory memory, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow();
        var conditions = new List<(string Type, bool Value, string Reason, string Message)>();
        var completed = true;
        try
        {
            var observed = await ObserveAsync(autoscaler, memory, conditions, cancellationToken);
            if (observed is not null)
            {
                var decision = Decide(observed, memory, now);
                var actError = await ActAsync(autoscaler, observed, decision, memory, now, cancellationToken);
                Report(autoscaler, observed, decision, actError, memory, conditions, now);
            }
        }
        catch (KubernetesApiException ex)
        {
            completed = false;
            metrics.RecordError("kubernetes");
            conditions.Add((ConditionTypes.Ready, false, "KubernetesApiError", ex.Message));
            LogKubernetesError(logger, memory.Name, ex.Message);
        }

        await memory.Gate.WaitAsync(cancellationToken);
        try
        {
            memory.Conditions ??= autoscaler.Status?.Conditions;
            foreach (var (type, value, reason, message) in conditions)
            {
                SetCondition(memory, autoscaler, type, value, reason, message, now);
            }
            await status.WriteAsync(autoscaler, memory, now, cancellationToken);
        }
        finally
        {
            memory.Gate.Release();
        }
        metrics.RecordReconcile(memory.Name, OperatorMetrics.ReplicaLoop, Stopwatch.GetElapsedTime(started));
        return completed;
    }

    /// <summary>What the replica loop saw; null when it found a reason not to decide (set as conditions and events).</summary>
    private sealed record Observation(
        AutoscalerPolicy Policy,
        string Namespace,
        string Target,
        int CurrentReplicas,
        IReadOnlyList<PodTarget> Ready,
        IReadOnlyList<PodSignals> Signals,
        string? SignalError);

    private async Task<Observation?> ObserveAsync(ThreadPoolAutoscaler autoscaler, AutoscalerMemory memory, Conditions conditions, CancellationToken cancellationToken)
    {
        var spec = autoscaler.Spec;
        var ns = autoscaler.Metadata.NamespaceProperty ?? "default";
        var reference = Reference(autoscaler);
        var validation = SpecValidator.Validate(spec);
        var clusterErrors = string.IsNullOrWhiteSpace(spec.Prometheus?.Url)
            ? ["spec.prometheus.url is required in a cluster: the operator reads the pods' CPU from Prometheus."]
            : Array.Empty<string>();
        if (validation.Policy is null || clusterErrors.Length > 0)
        {
            var message = string.Join(" ", validation.Errors.Concat(clusterErrors));
            conditions.Add((ConditionTypes.SpecValid, false, ControllerReasons.InvalidSpec, message));
            await BlockAsync(memory, reference, conditions, ControllerReasons.InvalidSpec, message, "The spec is invalid; nothing is changed until it is fixed.", cancellationToken);
            return null;
        }
        conditions.Add((ConditionTypes.SpecValid, true, ControllerReasons.Reconciled, "The spec is valid."));

        var target = spec.TargetRef.Name;
        var deployment = await api.GetDeploymentAsync(ns, target, cancellationToken);
        if (deployment is null)
        {
            var message = $"Deployment {target} not found in namespace {ns}.";
            await BlockAsync(memory, reference, conditions, ControllerReasons.TargetNotFound, message, message, cancellationToken);
            return null;
        }

        if (await FindConflictAsync(ns, target, memory, reference, cancellationToken) is { } conflict)
        {
            var message = $"{conflict} also scales Deployment {target}: refusing to co-manage it. Remove one of the two.";
            await BlockAsync(memory, reference, conditions, ControllerReasons.ConflictingAutoscaler, message, message, cancellationToken);
            return null;
        }
        memory.BlockedReason = null;

        var selector = deployment.Spec?.Selector is { } s ? PodShapes.Selector(s) : null;
        var pods = (await api.ListPodsAsync(ns, selector, cancellationToken)).Items;
        var running = pods.Where(PodShapes.IsRunning).Select(p => PodShapes.Target(p, spec)).ToList();
        var ready = pods.Where(PodShapes.IsReady).Select(p => PodShapes.Target(p, spec)).ToList();
        memory.PodSelector = selector;
        memory.RunningPods = running;
        memory.PodsListedAt = clock.GetUtcNow();
        memory.ReadyPods = ready.Count;
        memory.CurrentReplicas = deployment.Spec?.Replicas ?? 1;
        memory.AdminToken = spec.Mode == AutoscalerMode.Enforce ? await ReadTokenAsync(ns, spec.Admin.TokenSecretRef, cancellationToken) : null;
        if (spec.Mode == AutoscalerMode.Enforce && memory.AdminToken is null)
        {
            var message = $"Secret {spec.Admin.TokenSecretRef.Name} (key {spec.Admin.TokenSecretRef.Key}) not found: min threads cannot be set.";
            await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.AdminTokenUnavailable, message, cancellationToken);
        }

        var (signals, signalError) = await ReadSignalsAsync(spec, ns, ready, cancellationToken);
        return new Observation(validation.Policy, ns, target, memory.CurrentReplicas, ready, signals, signalError);
    }

    private Decision Decide(Observation observed, AutoscalerMemory memory, DateTimeOffset now)
    {
        var currentMinThreads = memory.MinThreads.Desired ?? observed.Policy.MinThreadsBaseline;
        var outcome = ScalingDecider.DecideReplicas(
            new DecisionInput(observed.Policy, observed.Signals, observed.CurrentReplicas, currentMinThreads, now), memory.ReplicaHistory);
        memory.ReplicaHistory = outcome.History;
        return outcome.Decision;
    }

    /// <summary>Applies the replica count in Enforce mode; returns the error message when the change failed.</summary>
    private async Task<string?> ActAsync(ThreadPoolAutoscaler autoscaler, Observation observed, Decision decision, AutoscalerMemory memory, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (autoscaler.Spec.Mode != AutoscalerMode.Enforce || decision.DesiredReplicas == observed.CurrentReplicas)
        {
            return null;
        }
        var reference = Reference(autoscaler);
        try
        {
            await replicas.ScaleAsync(observed.Namespace, observed.Target, decision.DesiredReplicas, cancellationToken);
            memory.LastScaleTime = now;
            memory.CurrentReplicas = decision.DesiredReplicas;
            await events.RecordAsync(reference, EventRecorder.Normal, decision.Reason, $"New size: {decision.DesiredReplicas}; reason: {decision.Message}", cancellationToken);
            return null;
        }
        catch (KubernetesApiException ex)
        {
            metrics.RecordError("kubernetes");
            var message = $"Could not scale {observed.Target}: {ex.Message}";
            await events.RecordAsync(reference, EventRecorder.Warning, ControllerReasons.FailedRescale, message, cancellationToken);
            return message;
        }
    }

    private void Report(ThreadPoolAutoscaler autoscaler, Observation observed, Decision decision, string? actError, AutoscalerMemory memory, Conditions conditions, DateTimeOffset now)
    {
        var enforce = autoscaler.Spec.Mode == AutoscalerMode.Enforce;
        var metricsMessage = observed.SignalError ?? decision.Regime switch
        {
            Regime.Unknown => decision.Message,
            _ => $"Fresh signals for {decision.Signals.PodsWithData} of {observed.Ready.Count} ready pods.",
        };
        var metricsReason = observed.SignalError is not null ? ControllerReasons.PrometheusUnavailable
            : decision.Regime == Regime.Unknown ? decision.Reason : ControllerReasons.SignalsFresh;
        conditions.Add((ConditionTypes.MetricsAvailable, observed.SignalError is null && decision.Regime != Regime.Unknown, metricsReason, metricsMessage));
        conditions.Add((ConditionTypes.ScalingActive, enforce, enforce ? ControllerReasons.Enforcing : ControllerReasons.ObserveMode,
            enforce ? "Decisions are applied." : "Observe mode: decisions are reported, nothing is changed."));
        var limited = decision.Reason is DecisionReasons.AtMaxReplicas or DecisionReasons.AtMinReplicas
            || memory.MinThreads.Latest?.Reason == DecisionReasons.AtMaxMinThreads;
        var limitedBy = decision.Reason is DecisionReasons.AtMaxReplicas or DecisionReasons.AtMinReplicas ? decision : memory.MinThreads.Latest;
        conditions.Add((ConditionTypes.ScalingLimited, limited, limited ? limitedBy!.Reason : ControllerReasons.WithinBounds,
            limited ? limitedBy!.Message : "Desired values are within the bounds."));
        var ready = actError is null && (!enforce || memory.AdminToken is not null);
        var readyMessage = actError ?? (ready ? "Reconciled." : "The admin token Secret is missing: min threads cannot be set.");
        conditions.Add((ConditionTypes.Ready, ready,
            ready ? ControllerReasons.Reconciled : actError is not null ? ControllerReasons.FailedRescale : ControllerReasons.AdminTokenUnavailable, readyMessage));

        if (decision.Acts || memory.LastReplicaDecision?.Reason != decision.Reason)
        {
            memory.LastReplicaDecision = decision;
            memory.LastReplicaDecisionTime = now;
        }
        metrics.RecordDecision(memory.Name, OperatorMetrics.ReplicaLoop, decision);
        metrics.SetReplicaState(memory.Name, observed.CurrentReplicas, decision.DesiredReplicas);
        metrics.SetReplicaInputs(memory.Name, decision, observed.Policy);
        if (decision.Acts)
        {
            LogDecision(logger, memory.Name, decision.Regime, decision.ReplicaAction, observed.CurrentReplicas, decision.DesiredReplicas,
                decision.Reason, decision.Message, autoscaler.Spec.Mode);
        }
    }

    private async Task BlockAsync(AutoscalerMemory memory, V1ObjectReference reference, Conditions conditions, string reason, string message, string readyMessage,
        CancellationToken cancellationToken)
    {
        memory.BlockedReason = reason;
        conditions.Add((ConditionTypes.Ready, false, reason, readyMessage));
        conditions.Add((ConditionTypes.ScalingActive, false, reason, message));
        await events.RecordAsync(reference, EventRecorder.Warning, reason, message, cancellationToken);
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

    /// <summary>
    /// The HPA or KEDA ScaledObject that also scales the target, if any. A kind the API server does not serve
    /// (404: no autoscaling/v2, no KEDA CRD) cannot conflict: that is said once per kind, by an event and a log
    /// line, and the check goes on with the other kind.
    /// </summary>
    private async Task<string?> FindConflictAsync(string ns, string target, AutoscalerMemory memory, V1ObjectReference reference, CancellationToken cancellationToken)
    {
        var hpas = await ListIfServedAsync(HorizontalPodAutoscalerApi, target, memory, reference,
            t => api.ListHorizontalPodAutoscalersAsync(ns, t), cancellationToken);
        if (hpas?.Items.FirstOrDefault(h => Targets(h.Spec.ScaleTargetRef, target)) is { } hpa)
        {
            return $"HorizontalPodAutoscaler {hpa.Metadata.Name}";
        }
        var scaledObjects = await ListIfServedAsync(ScaledObjectApi, target, memory, reference,
            t => api.ListScaledObjectsAsync(ns, t), cancellationToken);
        if (scaledObjects?.Items.FirstOrDefault(o => Targets(o.Spec.ScaleTargetRef, target)) is { } keda)
        {
            return $"KEDA ScaledObject {keda.Metadata.Name}";
        }
        return null;

        // KEDA's scaleTargetRef omits kind for Deployments; the HPA's names it.
        static bool Targets(V2CrossVersionObjectReference? reference, string name) =>
            reference?.Name == name && (reference.Kind is null or "Deployment");
    }

    /// <summary>What the HPA check lists, as the API server names it.</summary>
    internal const string HorizontalPodAutoscalerApi = "autoscaling/v2 HorizontalPodAutoscalers";

    /// <summary>What the KEDA check lists, as the API server names it.</summary>
    internal const string ScaledObjectApi = $"{ScaledObject.Group}/{ScaledObject.Version} ScaledObjects (KEDA)";

    /// <summary>The list, or null when the API server answers 404 for the whole resource (it does not serve it).</summary>
    private async Task<T?> ListIfServedAsync<T>(string resource, string target, AutoscalerMemory memory, V1ObjectReference reference,
        Func<CancellationToken, Task<T>> list, CancellationToken cancellationToken) where T : class
    {
        try
        {
            var items = await list(cancellationToken);
            // Served (again): should it go away later, that is said again.
            memory.UnservedAutoscalerApis.Remove(resource);
            return items;
        }
        catch (KubernetesApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            if (memory.UnservedAutoscalerApis.Add(resource))
            {
                var message = $"The API server does not serve {resource}: none of them can scale Deployment {target}, so there is no conflict of that kind; carrying on.";
                LogApiNotServed(logger, memory.Name, resource);
                await events.RecordAsync(reference, EventRecorder.Normal, ControllerReasons.AutoscalerApiNotServed, message, cancellationToken);
            }
            return null;
        }
    }

    private async Task<string?> ReadTokenAsync(string ns, SecretKeyReference reference, CancellationToken cancellationToken)
    {
        var secret = await api.GetSecretAsync(ns, reference.Name, cancellationToken);
        // The client decodes the Secret's base64 values.
        if (secret?.Data is null || !secret.Data.TryGetValue(reference.Key, out var value) || value is null)
        {
            return null;
        }
        var token = Encoding.UTF8.GetString(value).Trim();
        return token.Length == 0 ? null : token;
    }

    internal static void SetCondition(AutoscalerMemory memory, ThreadPoolAutoscaler autoscaler, string type, bool value, string reason, string message, DateTimeOffset now) =>
        memory.Conditions = ConditionList.Set(memory.Conditions, type, value, reason, message, autoscaler.Metadata.Generation, now);

    internal static V1ObjectReference Reference(ThreadPoolAutoscaler autoscaler) => new()
    {
        ApiVersion = autoscaler.ApiVersion,
        Kind = autoscaler.Kind,
        Name = autoscaler.Metadata.Name,
        NamespaceProperty = autoscaler.Metadata.NamespaceProperty,
        Uid = autoscaler.Metadata.Uid,
        ResourceVersion = autoscaler.Metadata.ResourceVersion,
    };

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Autoscaler} {Regime}: replicas {ReplicaAction} {CurrentReplicas} -> {DesiredReplicas}; {Reason}: {Explanation} ({Mode})")]
    private static partial void LogDecision(ILogger logger, string autoscaler, Regime regime, ReplicaAction replicaAction, int currentReplicas, int desiredReplicas,
        string reason, string explanation, AutoscalerMode mode);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Autoscaler}: the API server does not serve {Resource}; no autoscaler of that kind can conflict")]
    private static partial void LogApiNotServed(ILogger logger, string autoscaler, string resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Autoscaler}: Kubernetes API error: {Error}")]
    private static partial void LogKubernetesError(ILogger logger, string autoscaler, string error);
}
