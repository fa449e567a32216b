using k8s.Models;

namespace Platform.Operator.Controller;

/// <summary>The autoscaler's condition types and the reasons the controller (not the decision logic) sets.</summary>
public static class ConditionTypes
{
    /// <summary>True when the last evaluation could run completely and act (or observe) as intended.</summary>
    public const string Ready = "Ready";

    public const string SpecValid = "SpecValid";

    /// <summary>Fresh Prometheus signals for every ready pod (the replica loop's input).</summary>
    public const string MetricsAvailable = "MetricsAvailable";

    /// <summary>Running pods answered on their control ports (the min-threads loop's input).</summary>
    public const string PodSignalsAvailable = "PodSignalsAvailable";

    /// <summary>True while the operator may act: Enforce mode, target found, no other autoscaler on it.</summary>
    public const string ScalingActive = "ScalingActive";

    /// <summary>True when a desired value was clamped at a bound.</summary>
    public const string ScalingLimited = "ScalingLimited";
}

public static class ControllerReasons
{
    public const string Reconciled = "Reconciled";
    public const string InvalidSpec = "InvalidSpec";
    public const string TargetNotFound = "TargetNotFound";
    public const string ConflictingAutoscaler = "ConflictingAutoscaler";
    /// <summary>A Normal event, once per kind: the API server does not serve HPAs or KEDA's ScaledObjects, so none conflicts.</summary>
    public const string AutoscalerApiNotServed = "AutoscalerApiNotServed";
    public const string ObserveMode = "ObserveMode";
    public const string Enforcing = "Enforcing";
    public const string PrometheusUnavailable = "PrometheusUnavailable";
    public const string SignalsFresh = "SignalsFresh";
    public const string AdminTokenUnavailable = "AdminTokenUnavailable";
    public const string FailedRescale = "FailedRescale";
    public const string SucceededRescale = "SucceededRescale";
    public const string MinThreadsChanged = "MinThreadsChanged";
    public const string FailedSetMinThreads = "FailedSetMinThreads";
    public const string WithinBounds = "WithinBounds";
}

/// <summary>
/// metav1.Condition bookkeeping as Kubernetes' SetStatusCondition does it: reason, message and
/// observedGeneration always refresh; lastTransitionTime moves only when the status flips.
/// </summary>
public static class ConditionList
{
    public static List<V1Condition> Set(List<V1Condition>? conditions, string type, bool status, string reason, string message, long? generation, DateTimeOffset now)
    {
        var list = conditions is null ? [] : new List<V1Condition>(conditions);
        var value = status ? "True" : "False";
        var existing = list.FindIndex(c => c.Type == type);
        var transition = existing >= 0 && list[existing].Status == value ? list[existing].LastTransitionTime : now.UtcDateTime;
        var condition = new V1Condition
        {
            Type = type,
            Status = value,
            Reason = reason,
            Message = message,
            LastTransitionTime = transition,
            ObservedGeneration = generation,
        };
        if (existing >= 0)
        {
            list[existing] = condition;
        }
        else
        {
            list.Add(condition);
        }
        return list;
    }

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type);
}
