using Platform.Operator.Api;
using Platform.Operator.Decisions;

namespace Platform.Operator.Simulation;

/// <summary>
/// The scenarios the tests assert on and the benchmark prints, in one place so both see the same runs.
/// Pods have 2 cores and a CPU request of 1 core; the policy is the CRD's defaults (HPA-like damping,
/// evaluations every 15 s) except replicas 2..20 and a 15 s signal window, so each evaluation sees
/// only what happened since the one before.
/// </summary>
internal static class SimulationScenarios
{
    public static readonly TimeSpan BurstStart = TimeSpan.FromSeconds(60);

    /// <summary>The spec's defaults with replicas 2..20 and a 15 s window; <see cref="PolicyOf"/> checks it is valid.</summary>
    public static ThreadPoolAutoscalerSpec DefaultSpec() => new()
    {
        TargetRef = new TargetReference { Name = "api" },
        Replicas = new ReplicaPolicy { Min = 2, Max = 20 },
        Prometheus = new PrometheusSource { Url = "http://prometheus:9090", WindowSeconds = 15 },
        Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "api-admin" } },
    };

    public static AutoscalerPolicy PolicyOf(ThreadPoolAutoscalerSpec spec) =>
        SpecValidator.Validate(spec).Policy ?? throw new InvalidOperationException("The scenario's spec is invalid.");

    public static SimulationOptions Options(ThreadPoolAutoscalerSpec spec, IReadOnlyList<LoadSegment> load, TimeSpan duration) => new()
    {
        Policy = PolicyOf(spec),
        Load = load,
        Duration = duration,
        EvaluationInterval = TimeSpan.FromSeconds(spec.EvaluationIntervalSeconds),
        SignalWindow = TimeSpan.FromSeconds(spec.Prometheus.WindowSeconds),
    };

    /// <summary>
    /// A light background of quick requests, then for <paramref name="burstLength"/> a burst of requests that
    /// block a thread (Thread.Sleep, synchronous I/O) with almost no CPU.
    /// </summary>
    /// <remarks>One pod, as the benchmark's real API process: the whole burst lands on one thread pool.</remarks>
    public static SimulationOptions BlockingBurst(double burstRatePerSecond, TimeSpan blocking, TimeSpan burstLength, bool operatorEnabled, int seed = 1,
        int podSignalIntervalMilliseconds = 1000)
    {
        var end = BurstStart + burstLength;
        var spec = DefaultSpec();
        spec.Replicas = new ReplicaPolicy { Min = 1, Max = 20 };
        spec.PodSignals = new PodSignalSource { IntervalMilliseconds = podSignalIntervalMilliseconds };
        return Options(spec,
            [
                LoadSegment.Constant(TimeSpan.Zero, end + TimeSpan.FromSeconds(120), 20, new RequestShape(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(2))),
                LoadSegment.Constant(BurstStart, end, burstRatePerSecond, new RequestShape(blocking, TimeSpan.FromMilliseconds(1))),
            ],
            end + TimeSpan.FromSeconds(120)) with
        {
            OperatorEnabled = operatorEnabled,
            Seed = seed,
            InitialReplicas = 1,
        };
    }

    /// <summary>CPU-bound requests (20 ms of CPU each) ramping from 20/s to <paramref name="peakRatePerSecond"/> over five minutes, then held.</summary>
    public static SimulationOptions CpuRamp(double peakRatePerSecond, bool operatorEnabled = true, int seed = 1)
    {
        var shape = RequestShape.CpuFor(TimeSpan.FromMilliseconds(20));
        return Options(DefaultSpec(),
            [
                new LoadSegment(TimeSpan.Zero, TimeSpan.FromMinutes(5), 20, peakRatePerSecond, shape),
                LoadSegment.Constant(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), peakRatePerSecond, shape),
            ],
            TimeSpan.FromMinutes(15)) with
        {
            OperatorEnabled = operatorEnabled,
            Seed = seed,
        };
    }

    /// <summary>Replicas a CPU ramp's peak needs at the target: ceil(demand in cores / (target × request)).</summary>
    public static int NeededReplicas(double ratePerSecond, TimeSpan cpuPerRequest, AutoscalerPolicy policy, double cpuRequestCores = 1) =>
        (int)Math.Ceiling(ratePerSecond * cpuPerRequest.TotalSeconds / (policy.TargetCpuUtilization * cpuRequestCores) - 1e-9);

    /// <summary>Ten minutes of one steady mix: CPU work near the target and blocking work that needs more than the default threads.</summary>
    public static SimulationOptions SteadyLoad(int seed = 1) =>
        Options(DefaultSpec(),
            [
                LoadSegment.Constant(TimeSpan.Zero, TimeSpan.FromMinutes(10), 60, RequestShape.CpuFor(TimeSpan.FromMilliseconds(20))),
                LoadSegment.Constant(TimeSpan.Zero, TimeSpan.FromMinutes(10), 60, new RequestShape(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(1))),
            ],
            TimeSpan.FromMinutes(10)) with
        {
            Seed = seed,
        };
}
