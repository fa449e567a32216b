using Platform.Operator.Api;
using Platform.Operator.Decisions;

namespace Platform.Operator.Tests.Decisions;

public sealed class SpecValidatorTests
{
    /// <summary>The smallest valid spec: the defaults plus the two fields that have none.</summary>
    private static ThreadPoolAutoscalerSpec ValidSpec() => new()
    {
        TargetRef = new TargetReference { Name = "api" },
        Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "api-admin" } },
    };

    /// <summary>One change to a valid spec and the one error it must produce.</summary>
    private static readonly Dictionary<string, (Action<ThreadPoolAutoscalerSpec> Change, string Error)> Invalid = new()
    {
        ["replicas.min 0"] = (s => s.Replicas.Min = 0, "spec.replicas.min (0) must be between 1 and 1000"),
        ["replicas.min 1001"] = (s => s.Replicas = new ReplicaPolicy { Min = 1001, Max = 1000 }, "spec.replicas.min (1001) must be between 1 and 1000"),
        ["replicas.max 1001"] = (s => s.Replicas.Max = 1001, "spec.replicas.max (1001) must be between 1 and 1000"),
        ["replicas.min above max"] = (s => s.Replicas = new ReplicaPolicy { Min = 5, Max = 3 }, "spec.replicas.min (5) must not exceed spec.replicas.max (3)"),
        ["minThreads.baseline 0"] = (s => s.MinThreads.Baseline = 0, "spec.minThreads.baseline (0) must be between 1 and 32767"),
        ["minThreads.max 32768"] = (s => s.MinThreads.Max = 32768, "spec.minThreads.max (32768) must be between 1 and 32767"),
        ["minThreads.baseline above max"] = (s => s.MinThreads = new MinThreadsPolicy { Baseline = 64, Max = 32 }, "spec.minThreads.baseline (64) must not exceed spec.minThreads.max (32)"),
        ["podSignals.port 0"] = (s => s.PodSignals.Port = 0, "spec.podSignals.port (0) must be between 1 and 65535"),
        ["podSignals.port 65536"] = (s => s.PodSignals.Port = 65536, "spec.podSignals.port (65536) must be between 1 and 65535"),
        ["podSignals.intervalMilliseconds 199"] = (s => s.PodSignals.IntervalMilliseconds = 199, "spec.podSignals.intervalMilliseconds (199) must be between 200 and 60000"),
        ["podSignals.intervalMilliseconds 0"] = (s => s.PodSignals.IntervalMilliseconds = 0, "spec.podSignals.intervalMilliseconds (0) must be between 200 and 60000"),
        ["podSignals.intervalMilliseconds 60001"] = (s => s.PodSignals.IntervalMilliseconds = 60001, "spec.podSignals.intervalMilliseconds (60001) must be between 200 and 60000"),
        ["cpu.targetUtilizationPercent 0"] = (s => s.Cpu.TargetUtilizationPercent = 0, "spec.cpu.targetUtilizationPercent (0) must be between 1 and 100"),
        ["cpu.targetUtilizationPercent 101"] = (s => s.Cpu.TargetUtilizationPercent = 101, "spec.cpu.targetUtilizationPercent (101) must be between 1 and 100"),
        ["starvation.queueLengthThreshold 0"] = (s => s.Starvation.QueueLengthThreshold = 0, "spec.starvation.queueLengthThreshold (0) must be greater than 0 and at most 1000000"),
        ["starvation.queueLengthThreshold NaN"] = (s => s.Starvation.QueueLengthThreshold = double.NaN, "spec.starvation.queueLengthThreshold (NaN) must be greater than 0 and at most 1000000"),
        ["starvation.queueLengthThreshold infinite"] = (s => s.Starvation.QueueLengthThreshold = double.PositiveInfinity, "spec.starvation.queueLengthThreshold (Infinity) must be greater than 0 and at most 1000000"),
        ["starvation.queueLengthThreshold 1e6 + 1"] = (s => s.Starvation.QueueLengthThreshold = 1_000_001, "spec.starvation.queueLengthThreshold (1000001) must be greater than 0 and at most 1000000"),
        ["starvation.schedulingDelayThresholdMilliseconds 0"] = (s => s.Starvation.SchedulingDelayThresholdMilliseconds = 0, "spec.starvation.schedulingDelayThresholdMilliseconds (0) must be between 1 and 60000"),
        ["starvation.schedulingDelayThresholdMilliseconds 60001"] = (s => s.Starvation.SchedulingDelayThresholdMilliseconds = 60001, "spec.starvation.schedulingDelayThresholdMilliseconds (60001) must be between 1 and 60000"),
        ["behavior.tolerance negative"] = (s => s.Behavior.Tolerance = -0.01, "spec.behavior.tolerance (-0.01) must be between 0 and 0.5"),
        ["behavior.tolerance 0.51"] = (s => s.Behavior.Tolerance = 0.51, "spec.behavior.tolerance (0.51) must be between 0 and 0.5"),
        ["behavior.tolerance NaN"] = (s => s.Behavior.Tolerance = double.NaN, "spec.behavior.tolerance (NaN) must be between 0 and 0.5"),
        ["behavior.scaleUpStabilizationWindowSeconds -1"] = (s => s.Behavior.ScaleUpStabilizationWindowSeconds = -1, "spec.behavior.scaleUpStabilizationWindowSeconds (-1) must be between 0 and 3600"),
        ["behavior.scaleDownStabilizationWindowSeconds 3601"] = (s => s.Behavior.ScaleDownStabilizationWindowSeconds = 3601, "spec.behavior.scaleDownStabilizationWindowSeconds (3601) must be between 0 and 3600"),
        ["behavior.scaleUpLimitPercent 0"] = (s => s.Behavior.ScaleUpLimitPercent = 0, "spec.behavior.scaleUpLimitPercent (0) must be between 1 and 1000"),
        ["behavior.scaleUpLimitPercent 1001"] = (s => s.Behavior.ScaleUpLimitPercent = 1001, "spec.behavior.scaleUpLimitPercent (1001) must be between 1 and 1000"),
        ["behavior.scaleUpLimitPods 0"] = (s => s.Behavior.ScaleUpLimitPods = 0, "spec.behavior.scaleUpLimitPods (0) must be between 1 and 1000"),
        ["behavior.scaleUpPeriodSeconds 0"] = (s => s.Behavior.ScaleUpPeriodSeconds = 0, "spec.behavior.scaleUpPeriodSeconds (0) must be between 1 and 1800"),
        ["behavior.scaleUpPeriodSeconds 1801"] = (s => s.Behavior.ScaleUpPeriodSeconds = 1801, "spec.behavior.scaleUpPeriodSeconds (1801) must be between 1 and 1800"),
        ["prometheus.windowSeconds 9"] = (s => s.Prometheus.WindowSeconds = 9, "spec.prometheus.windowSeconds (9) must be between 10 and 3600"),
        ["prometheus.windowSeconds 3601"] = (s => s.Prometheus.WindowSeconds = 3601, "spec.prometheus.windowSeconds (3601) must be between 10 and 3600"),
        ["prometheus.maxStalenessSeconds 0"] = (s => s.Prometheus.MaxStalenessSeconds = 0, "spec.prometheus.maxStalenessSeconds (0) must be between 1 and 3600"),
        ["evaluationIntervalSeconds 4"] = (s => s.EvaluationIntervalSeconds = 4, "spec.evaluationIntervalSeconds (4) must be between 5 and 3600"),
        ["evaluationIntervalSeconds 3601"] = (s => s.EvaluationIntervalSeconds = 3601, "spec.evaluationIntervalSeconds (3601) must be between 5 and 3600"),
        ["prometheus.url relative"] = (s => s.Prometheus.Url = "/api/v1", "spec.prometheus.url (/api/v1) must be empty or an absolute http or https URL"),
        ["prometheus.url ftp"] = (s => s.Prometheus.Url = "ftp://prometheus:9090", "spec.prometheus.url (ftp://prometheus:9090) must be empty or an absolute http or https URL"),
        ["prometheus.url with a space in the host"] = (s => s.Prometheus.Url = "http://prom etheus", "spec.prometheus.url (http://prom etheus) must be empty or an absolute http or https URL"),
        ["prometheus.url no scheme"] = (s => s.Prometheus.Url = "prometheus:9090", "spec.prometheus.url (prometheus:9090) must be empty or an absolute http or https URL"),
        ["targetRef.name empty"] = (s => s.TargetRef.Name = "", "spec.targetRef.name must not be empty"),
        ["targetRef.name upper case"] = (s => s.TargetRef.Name = "Api", "spec.targetRef.name (Api) must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"),
        ["targetRef.name trailing dash"] = (s => s.TargetRef.Name = "api-", "spec.targetRef.name (api-) must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"),
        ["targetRef.name 254 characters"] = (s => s.TargetRef.Name = new string('a', 254), $"spec.targetRef.name ({new string('a', 254)}) must be at most 253 characters"),
        ["targetRef.kind StatefulSet"] = (s => s.TargetRef.Kind = "StatefulSet", "spec.targetRef.kind (StatefulSet) must be Deployment"),
        ["targetRef.apiVersion apps/v1beta1"] = (s => s.TargetRef.ApiVersion = "apps/v1beta1", "spec.targetRef.apiVersion (apps/v1beta1) must be apps/v1"),
        ["admin.port 0"] = (s => s.Admin.Port = 0, "spec.admin.port (0) must be between 1 and 65535"),
        ["admin.port 65536"] = (s => s.Admin.Port = 65536, "spec.admin.port (65536) must be between 1 and 65535"),
        ["admin.tokenSecretRef.name empty"] = (s => s.Admin.TokenSecretRef.Name = "", "spec.admin.tokenSecretRef.name must not be empty"),
        ["admin.tokenSecretRef.key empty"] = (s => s.Admin.TokenSecretRef.Key = "", "spec.admin.tokenSecretRef.key must not be empty"),
        ["mode undefined"] = (s => s.Mode = (AutoscalerMode)7, "spec.mode (7) must be Enforce or Observe"),
        ["replicas null"] = (s => s.Replicas = null!, "spec.replicas must be set"),
        ["podSignals null"] = (s => s.PodSignals = null!, "spec.podSignals must be set"),
        ["admin.tokenSecretRef null"] = (s => s.Admin.TokenSecretRef = null!, "spec.admin.tokenSecretRef must be set"),
    };

    /// <summary>Edge values that are valid.</summary>
    private static readonly Dictionary<string, Action<ThreadPoolAutoscalerSpec>> Valid = new()
    {
        ["the defaults"] = _ => { },
        ["replicas.min equal to max"] = s => s.Replicas = new ReplicaPolicy { Min = 7, Max = 7 },
        ["replicas at 1000"] = s => s.Replicas = new ReplicaPolicy { Min = 1000, Max = 1000 },
        ["minThreads baseline equal to max at 32767"] = s => s.MinThreads = new MinThreadsPolicy { Baseline = 32767, Max = 32767 },
        ["podSignals.port 1"] = s => s.PodSignals.Port = 1,
        ["podSignals.port 65535"] = s => s.PodSignals.Port = 65535,
        ["podSignals.intervalMilliseconds 200"] = s => s.PodSignals.IntervalMilliseconds = 200,
        ["podSignals.intervalMilliseconds 60000"] = s => s.PodSignals.IntervalMilliseconds = 60000,
        ["tolerance 0"] = s => s.Behavior.Tolerance = 0,
        ["tolerance 0.5"] = s => s.Behavior.Tolerance = 0.5,
        ["windows 0 and 3600"] = s => { s.Behavior.ScaleUpStabilizationWindowSeconds = 3600; s.Behavior.ScaleDownStabilizationWindowSeconds = 0; },
        ["queue threshold 1e6"] = s => s.Starvation.QueueLengthThreshold = 1e6,
        ["queue threshold fractional"] = s => s.Starvation.QueueLengthThreshold = 0.5,
        ["prometheus.url https with a path"] = s => s.Prometheus.Url = "https://prometheus.monitoring.svc:9090/prom",
        ["targetRef.name with dots and dashes"] = s => s.TargetRef.Name = "api-v2.example",
        ["targetRef.name 253 characters"] = s => s.TargetRef.Name = new string('a', 253),
        ["observe mode"] = s => s.Mode = AutoscalerMode.Observe,
    };

    public static TheoryData<string> InvalidSpecs => new(Invalid.Keys);

    public static TheoryData<string> ValidSpecs => new(Valid.Keys);

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public void An_invalid_value_is_one_error_naming_the_field(string change)
    {
        var spec = ValidSpec();
        Invalid[change].Change(spec);

        var validation = SpecValidator.Validate(spec);

        Assert.Null(validation.Policy);
        Assert.False(validation.IsValid);
        Assert.Equal([Invalid[change].Error], validation.Errors);
    }

    [Theory]
    [MemberData(nameof(ValidSpecs))]
    public void A_valid_spec_has_a_policy_and_no_errors(string change)
    {
        var spec = ValidSpec();
        Valid[change](spec);

        var validation = SpecValidator.Validate(spec);

        Assert.Empty(validation.Errors);
        Assert.NotNull(validation.Policy);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var spec = ValidSpec();
        spec.Replicas = new ReplicaPolicy { Min = 0, Max = 2000 };
        spec.Cpu.TargetUtilizationPercent = 0;
        spec.TargetRef.Name = "";
        spec.PodSignals = new PodSignalSource { Port = 0, IntervalMilliseconds = 100 };

        var errors = SpecValidator.Validate(spec).Errors;

        Assert.Equal(
            [
                "spec.targetRef.name must not be empty",
                "spec.podSignals.port (0) must be between 1 and 65535",
                "spec.podSignals.intervalMilliseconds (100) must be between 200 and 60000",
                "spec.replicas.min (0) must be between 1 and 1000",
                "spec.replicas.max (2000) must be between 1 and 1000",
                "spec.cpu.targetUtilizationPercent (0) must be between 1 and 100",
            ],
            errors);
    }

    [Fact]
    public void The_policy_is_the_spec_in_the_decision_logic_s_units()
    {
        var spec = ValidSpec();
        spec.Replicas = new ReplicaPolicy { Min = 2, Max = 12 };
        spec.MinThreads = new MinThreadsPolicy { Baseline = 4, Max = 128 };
        spec.PodSignals = new PodSignalSource { Port = 9000, IntervalMilliseconds = 250 };
        spec.Cpu.TargetUtilizationPercent = 65;
        spec.Starvation = new StarvationPolicy { QueueLengthThreshold = 5.5, SchedulingDelayThresholdMilliseconds = 40 };
        spec.Behavior = new ScalingBehavior
        {
            Tolerance = 0.05,
            ScaleUpStabilizationWindowSeconds = 30,
            ScaleDownStabilizationWindowSeconds = 600,
            ScaleUpLimitPercent = 50,
            ScaleUpLimitPods = 2,
            ScaleUpPeriodSeconds = 60,
        };
        spec.Prometheus.MaxStalenessSeconds = 45;

        var policy = SpecValidator.Validate(spec).Policy;

        Assert.Equal(
            new AutoscalerPolicy(2, 12, 4, 128, 0.65, 5.5, TimeSpan.FromMilliseconds(40), 0.05, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(600),
                50, 2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(45), TimeSpan.FromMilliseconds(250)),
            policy);
        Assert.Equal(TimeSpan.FromMilliseconds(750), policy!.PodSignalMaxAge);
    }

    [Fact]
    public void Min_threads_and_pod_signals_default_to_a_max_of_500_and_a_reading_every_second_on_port_9464()
    {
        var spec = ValidSpec();

        var policy = SpecValidator.Validate(spec).Policy!;

        Assert.Equal((500, 9464), (spec.MinThreads.Max, spec.PodSignals.Port));
        Assert.Equal((2, 500, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), (policy.MinThreadsBaseline, policy.MinThreadsMax, policy.PodSignalInterval, policy.PodSignalMaxAge));
    }
}
