using System.Globalization;
using System.Text.RegularExpressions;
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
/// Checks every bound of a <see cref="ThreadPoolAutoscalerSpec"/> and turns a valid one into the
/// <see cref="AutoscalerPolicy"/> the decision logic uses. Nothing is defaulted or clamped here: a value
/// out of range is an error, so the policy that acts is exactly the one that was written.
/// </summary>
public static partial class SpecValidator
{
    public const int MaxReplicas = 1000;
    public const int MaxWorkerThreads = 32767;
    public const double MaxQueueLengthThreshold = 1e6;
    public const double MaxTolerance = 0.5;
    public const int MaxStabilizationWindowSeconds = 3600;
    public const int MaxScaleUpPeriodSeconds = 1800;
    public const int MinPodSignalIntervalMilliseconds = 200;
    public const int MaxPodSignalIntervalMilliseconds = 60_000;

    public static SpecValidation Validate(ThreadPoolAutoscalerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<string>();

        var missingSections = MissingSections(spec);
        if (missingSections.Count > 0)
        {
            return new SpecValidation(null, missingSections);
        }

        ValidateTarget(spec.TargetRef, errors);
        if (!Enum.IsDefined(spec.Mode))
        {
            errors.Add($"spec.mode ({spec.Mode}) must be {AutoscalerMode.Enforce} or {AutoscalerMode.Observe}");
        }

        InRange(errors, "spec.evaluationIntervalSeconds", spec.EvaluationIntervalSeconds, 5, 3600);

        var prometheus = spec.Prometheus;
        if (!string.IsNullOrEmpty(prometheus.Url) && !IsHttpUrl(prometheus.Url))
        {
            errors.Add($"spec.prometheus.url ({prometheus.Url}) must be empty or an absolute http or https URL");
        }

        InRange(errors, "spec.prometheus.windowSeconds", prometheus.WindowSeconds, 10, 3600);
        InRange(errors, "spec.prometheus.maxStalenessSeconds", prometheus.MaxStalenessSeconds, 1, 3600);

        var replicas = spec.Replicas;
        // `&`, not `&&`: both range errors are reported.
        var replicasValid = InRange(errors, "spec.replicas.min", replicas.Min, 1, MaxReplicas)
            & InRange(errors, "spec.replicas.max", replicas.Max, 1, MaxReplicas);
        if (replicasValid && replicas.Min > replicas.Max)
        {
            errors.Add($"spec.replicas.min ({replicas.Min}) must not exceed spec.replicas.max ({replicas.Max})");
        }

        var threads = spec.MinThreads;
        var threadsValid = InRange(errors, "spec.minThreads.baseline", threads.Baseline, 1, MaxWorkerThreads)
            & InRange(errors, "spec.minThreads.max", threads.Max, 1, MaxWorkerThreads);
        if (threadsValid && threads.Baseline > threads.Max)
        {
            errors.Add($"spec.minThreads.baseline ({threads.Baseline}) must not exceed spec.minThreads.max ({threads.Max})");
        }

        InRange(errors, "spec.podSignals.port", spec.PodSignals.Port, 1, 65535);
        InRange(errors, "spec.podSignals.intervalMilliseconds", spec.PodSignals.IntervalMilliseconds, MinPodSignalIntervalMilliseconds, MaxPodSignalIntervalMilliseconds);
        InRange(errors, "spec.cpu.targetUtilizationPercent", spec.Cpu.TargetUtilizationPercent, 1, 100);

        var starvation = spec.Starvation;
        // Written as a negated range so NaN fails too.
        if (!(starvation.QueueLengthThreshold > 0 && starvation.QueueLengthThreshold <= MaxQueueLengthThreshold))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"spec.starvation.queueLengthThreshold ({starvation.QueueLengthThreshold}) must be greater than 0 and at most {MaxQueueLengthThreshold}"));
        }

        InRange(errors, "spec.starvation.schedulingDelayThresholdMilliseconds", starvation.SchedulingDelayThresholdMilliseconds, 1, 60000);

        var behavior = spec.Behavior;
        if (!(behavior.Tolerance >= 0 && behavior.Tolerance <= MaxTolerance))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"spec.behavior.tolerance ({behavior.Tolerance}) must be between 0 and {MaxTolerance}"));
        }

        InRange(errors, "spec.behavior.scaleUpStabilizationWindowSeconds", behavior.ScaleUpStabilizationWindowSeconds, 0, MaxStabilizationWindowSeconds);
        InRange(errors, "spec.behavior.scaleDownStabilizationWindowSeconds", behavior.ScaleDownStabilizationWindowSeconds, 0, MaxStabilizationWindowSeconds);
        InRange(errors, "spec.behavior.scaleUpLimitPercent", behavior.ScaleUpLimitPercent, 1, 1000);
        InRange(errors, "spec.behavior.scaleUpLimitPods", behavior.ScaleUpLimitPods, 1, MaxReplicas);
        InRange(errors, "spec.behavior.scaleUpPeriodSeconds", behavior.ScaleUpPeriodSeconds, 1, MaxScaleUpPeriodSeconds);

        var admin = spec.Admin;
        InRange(errors, "spec.admin.port", admin.Port, 1, 65535);
        if (string.IsNullOrEmpty(admin.TokenSecretRef.Name))
        {
            errors.Add("spec.admin.tokenSecretRef.name must not be empty");
        }

        if (string.IsNullOrEmpty(admin.TokenSecretRef.Key))
        {
            errors.Add("spec.admin.tokenSecretRef.key must not be empty");
        }

        if (errors.Count > 0)
        {
            return new SpecValidation(null, errors);
        }

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

    // Sections can be null when a manifest says `replicas: null`; report that instead of throwing.
    private static List<string> MissingSections(ThreadPoolAutoscalerSpec spec) =>
        new (string Path, bool IsNull)[]
        {
            ("spec.targetRef", spec.TargetRef is null), ("spec.prometheus", spec.Prometheus is null),
            ("spec.minThreads", spec.MinThreads is null), ("spec.podSignals", spec.PodSignals is null), ("spec.replicas", spec.Replicas is null), ("spec.cpu", spec.Cpu is null),
            ("spec.starvation", spec.Starvation is null), ("spec.behavior", spec.Behavior is null), ("spec.admin", spec.Admin is null),
            ("spec.admin.tokenSecretRef", spec.Admin is { TokenSecretRef: null }),
        }.Where(section => section.IsNull).Select(section => $"{section.Path} must be set").ToList();

    private static void ValidateTarget(TargetReference target, List<string> errors)
    {
        if (string.IsNullOrEmpty(target.Name))
        {
            errors.Add("spec.targetRef.name must not be empty");
        }
        else if (target.Name.Length > 253 || !Dns1123Subdomain().IsMatch(target.Name))
        {
            errors.Add($"spec.targetRef.name ({target.Name}) must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");
        }

        if (target.Kind != "Deployment")
        {
            errors.Add($"spec.targetRef.kind ({target.Kind}) must be Deployment");
        }

        if (target.ApiVersion != "apps/v1")
        {
            errors.Add($"spec.targetRef.apiVersion ({target.ApiVersion}) must be apps/v1");
        }
    }

    private static bool InRange(List<string> errors, string path, int value, int min, int max)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        errors.Add($"{path} ({value}) must be between {min} and {max}");
        return false;
    }

    private static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !string.IsNullOrEmpty(uri.Host);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Subdomain();
}
