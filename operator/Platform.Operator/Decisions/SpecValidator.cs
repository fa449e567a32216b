using Platform.Operator.Api;

namespace Platform.Operator.Decisions;

/// <summary>The outcome of validating a spec: a policy when it is valid, otherwise every error found.</summary>
/// <param name="Policy">Null unless <see cref="Errors"/> is empty.</param>
/// <param name="Errors">One sentence per problem, each naming the field path and the value found.</param>
public sealed record SpecValidation(AutoscalerPolicy? Policy, IReadOnlyList<string> Errors)
{
    public bool IsValid => Policy is not null;
}

/// <summary>
/// Checks a <see cref="ThreadPoolAutoscalerSpec"/> and turns a valid one into the <see cref="AutoscalerPolicy"/>
/// the decision logic uses. The bounds are the attributes on the spec types (the CRD's schema is generated from
/// the same ones), read by <see cref="SpecFields"/>; a rule between two fields is a <see cref="NotAboveAttribute"/>.
/// Nothing is defaulted or clamped here: a value out of range is an error, so the policy that acts is exactly the
/// one that was written.
/// </summary>
public static class SpecValidator
{
    public static SpecValidation Validate(ThreadPoolAutoscalerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = SpecFields.Validate(spec, "spec");
        if (errors.Count > 0)
        {
            return new SpecValidation(null, errors);
        }

        var (replicas, threads, starvation, behavior, prometheus) = (spec.Replicas, spec.MinThreads, spec.Starvation, spec.Behavior, spec.Prometheus);
        var policy = new AutoscalerPolicy(
            MinReplicas: replicas.Min,
            MaxReplicas: replicas.Max,
            MinThreadsBaseline: threads.Baseline,
            MinThreadsMax: threads.Max,
            TargetCpuUtilization: spec.Cpu.TargetUtilizationPercent / 100.0,
            StarvationQueueLength: starvation.QueueLengthThreshold,
            StarvationSchedulingDelay: TimeSpan.FromMilliseconds(starvation.SchedulingDelayThresholdMilliseconds),
            Tolerance: behavior.Tolerance,
            ScaleUpStabilizationWindow: TimeSpan.FromSeconds(behavior.ScaleUpStabilizationWindowSeconds),
            ScaleDownStabilizationWindow: TimeSpan.FromSeconds(behavior.ScaleDownStabilizationWindowSeconds),
            ScaleUpLimitPercent: behavior.ScaleUpLimitPercent,
            ScaleUpLimitPods: behavior.ScaleUpLimitPods,
            ScaleUpPeriod: TimeSpan.FromSeconds(behavior.ScaleUpPeriodSeconds),
            MaxStaleness: TimeSpan.FromSeconds(prometheus.MaxStalenessSeconds),
            PodSignalInterval: TimeSpan.FromMilliseconds(spec.PodSignals.IntervalMilliseconds));
        return new SpecValidation(policy, errors);
    }
}
