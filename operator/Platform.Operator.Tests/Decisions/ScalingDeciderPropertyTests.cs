using Platform.Operator.Api;
using Platform.Operator.Decisions;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// Random traces of decisions over simulated time, each from <c>new Random(seed)</c> so any failure can be
/// replayed: random valid specs, random pods, missing and stale samples, manual scaling and failed
/// applies. The invariants are checked against values the test computes itself, not the decider's.
/// </summary>
public sealed class ScalingDeciderPropertyTests
{
    private const int Traces = 10_000;
    private const int FirstSeed = 1_000;
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Decisions_keep_their_invariants_over_ten_thousand_random_traces()
    {
        var failures = new List<string>();
        var decisions = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Traces && failures.Count < 5; seed++)
        {
            var (count, failure) = RunTrace(seed);
            decisions += count;
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"Replay a trace with RunTrace(seed):\n{string.Join("\n", failures)}");
        Assert.True(decisions > Traces * 10, $"only {decisions} decisions were made");
    }

    /// <summary>One trace; returns how many decisions it made and the first broken invariant, if any.</summary>
    private static (int Decisions, string? Failure) RunTrace(int seed)
    {
        var random = new Random(seed);
        var spec = RandomSpec(random);
        var validation = SpecValidator.Validate(spec);
        if (validation.Policy is not { } policy)
        {
            return (0, $"seed {seed}: the generator made an invalid spec: {string.Join("; ", validation.Errors)}");
        }

        var longestWindow = policy.ScaleUpStabilizationWindow > policy.ScaleDownStabilizationWindow ? policy.ScaleUpStabilizationWindow : policy.ScaleDownStabilizationWindow;
        var downWindow = policy.ScaleDownStabilizationWindow;
        var now = Start;
        var history = RecommendationHistory.Empty;
        var replicas = random.Next(10) == 0 ? random.Next(0, policy.MaxReplicas + 5) : random.Next(policy.MinReplicas, policy.MaxReplicas + 1);
        var minThreads = random.Next(10) == 0 ? random.Next(0, policy.MinThreadsMax + 20) : random.Next(policy.MinThreadsBaseline, policy.MinThreadsMax + 1);
        var load = random.NextDouble() * 2 * policy.TargetCpuUtilization;
        var raises = new List<(DateTimeOffset Time, int Replicas, int MinThreads)>();
        var recommendations = new List<TimedRecommendation>();
        DateTimeOffset? lastRecommendation = null;
        DateTimeOffset observedSince = now;
        var steps = random.Next(10, 60);
        for (var step = 0; step < steps; step++)
        {
            now += random.Next(20) switch
            {
                0 => TimeSpan.FromSeconds(random.Next(200, 900)),
                < 4 => TimeSpan.FromMilliseconds(random.Next(500, 5000)),
                _ => TimeSpan.FromSeconds(random.Next(5, 31)),
            };
            load = Math.Clamp(load * (0.7 + (random.NextDouble() * 0.6)) + ((random.NextDouble() - 0.5) * 0.1), 0, 3);
            var pods = RandomPods(random, policy, replicas, now, load);
            var input = new DecisionInput(policy, pods, replicas, minThreads, now);
            var outcome = ScalingDecider.Decide(input, history);
            var decision = outcome.Decision;

            // The decider's own view of windows, restated: a gap longer than every window starts the observation again.
            var usable = DataUsable(policy, pods, now);
            var correctsBounds = replicas < policy.MinReplicas || replicas > policy.MaxReplicas
                || minThreads < policy.MinThreadsBaseline || minThreads > policy.MinThreadsMax;
            if (usable && !correctsBounds && (lastRecommendation is null || lastRecommendation <= now - longestWindow))
            {
                observedSince = now;
            }

            var failure = Check(policy, input, outcome, history, usable, raises, recommendations, observedSince);
            if (failure is not null)
            {
                return (step + 1, $"seed {seed}, step {step} (t = {(now - Start).TotalSeconds} s): {failure}\n  input: replicas {replicas}, min threads {minThreads}, "
                    + $"pods [{string.Join(", ", pods.Select(p => $"{p.SampleTime?.ToString("HH:mm:ss.fff", null)} cpu {p.CpuUtilization} delay {p.SchedulingDelaySeconds} queue {p.QueueLength}"))}]\n"
                    + $"  policy: {policy}\n  decision: {decision}");
            }

            if (usable && !correctsBounds)
            {
                lastRecommendation = now;
                recommendations.Add(outcome.History.Recommendations[^1]);
            }

            if (decision.ReplicaAction == ReplicaAction.ScaleUp || decision.MinThreadsAction == MinThreadsAction.Raise)
            {
                raises.Add((now, decision.ReplicaAction == ReplicaAction.ScaleUp ? decision.DesiredReplicas : 0,
                    decision.MinThreadsAction == MinThreadsAction.Raise ? decision.DesiredMinThreads : 0));
            }

            history = outcome.History;
            // Mostly the controller applies the decision; sometimes the apply fails, sometimes someone scales by hand.
            replicas = random.Next(20) switch
            {
                0 => random.Next(0, policy.MaxReplicas + 5),
                1 or 2 => replicas,
                _ => decision.DesiredReplicas,
            };
            minThreads = random.Next(20) switch
            {
                0 => random.Next(0, policy.MinThreadsMax + 20),
                1 => minThreads,
                _ => decision.DesiredMinThreads,
            };
        }

        return (steps, null);
    }

    private static string? Check(
        AutoscalerPolicy policy,
        DecisionInput input,
        DecisionOutcome outcome,
        RecommendationHistory before,
        bool usable,
        List<(DateTimeOffset Time, int Replicas, int MinThreads)> raises,
        List<TimedRecommendation> recommendations,
        DateTimeOffset observedSince)
    {
        var decision = outcome.Decision;
        var (replicas, minThreads, now) = (input.CurrentReplicas, input.CurrentMinThreads, input.Now);
        var boundedReplicas = Math.Clamp(replicas, policy.MinReplicas, policy.MaxReplicas);
        var boundedMinThreads = Math.Clamp(minThreads, policy.MinThreadsBaseline, policy.MinThreadsMax);
        var replicasInBounds = boundedReplicas == replicas;
        var minThreadsInBounds = boundedMinThreads == minThreads;

        if (decision.DesiredReplicas < policy.MinReplicas || decision.DesiredReplicas > policy.MaxReplicas)
        {
            return "desired replicas outside the bounds";
        }

        if (decision.DesiredMinThreads < policy.MinThreadsBaseline || decision.DesiredMinThreads > policy.MinThreadsMax)
        {
            return "desired min threads outside the bounds";
        }

        if (decision.ReplicaAction != ActionOf(replicas, decision.DesiredReplicas, ReplicaAction.ScaleUp, ReplicaAction.ScaleDown, ReplicaAction.None)
            || decision.MinThreadsAction != ActionOf(minThreads, decision.DesiredMinThreads, MinThreadsAction.Raise, MinThreadsAction.Lower, MinThreadsAction.None))
        {
            return "an action does not match desired versus current";
        }

        if (!replicasInBounds || !minThreadsInBounds)
        {
            // A correction into bounds ignores the signals: only the out-of-bounds knobs move, straight to the bound.
            return decision.DesiredReplicas != boundedReplicas || decision.DesiredMinThreads != boundedMinThreads
                ? "a correction into bounds did more than move to the bound"
                : null;
        }

        if (!usable)
        {
            if (decision.Regime != Regime.Unknown || decision.ReplicaAction != ReplicaAction.None || decision.MinThreadsAction != MinThreadsAction.None
                || decision.DesiredReplicas != replicas || decision.DesiredMinThreads != minThreads)
            {
                return "acted on missing or stale data";
            }

            return outcome.History != before ? "a hold changed the history" : null;
        }

        if (decision.ReplicaAction == ReplicaAction.ScaleUp && decision.MinThreadsAction == MinThreadsAction.Raise)
        {
            return "raised threads and replicas together";
        }

        var cpu = input.Pods.Average(p => p.CpuUtilization!.Value);
        var starved = input.Pods.Any(p => p.QueueLength > policy.StarvationQueueLength || p.SchedulingDelaySeconds > policy.StarvationSchedulingDelay.TotalSeconds);
        var expected = cpu >= policy.TargetCpuUtilization ? Regime.Saturation : starved ? Regime.Starvation : Regime.Normal;
        if (decision.Regime != expected)
        {
            return $"classified as {decision.Regime}, not {expected}";
        }

        if (expected == Regime.Saturation && decision.MinThreadsAction != MinThreadsAction.None)
        {
            return "changed min threads on a saturated CPU";
        }

        if (expected == Regime.Starvation && decision.ReplicaAction != ReplicaAction.None)
        {
            return "changed replicas for starvation";
        }

        if (expected == Regime.Normal && (decision.ReplicaAction == ReplicaAction.ScaleUp || decision.MinThreadsAction == MinThreadsAction.Raise))
        {
            return "raised something with nothing wrong";
        }

        var window = policy.ScaleDownStabilizationWindow;
        if (decision.ReplicaAction == ReplicaAction.ScaleDown || decision.MinThreadsAction == MinThreadsAction.Lower)
        {
            if (now - observedSince < window)
            {
                return $"reduced {(now - observedSince).TotalSeconds} s after the observation started, inside the {window.TotalSeconds} s window";
            }

            var raisedInWindow = raises.Where(r => r.Time > now - window).ToList();
            var raisedReplicas = raisedInWindow.Select(r => r.Replicas).DefaultIfEmpty(0).Max();
            if (decision.ReplicaAction == ReplicaAction.ScaleDown && raisedReplicas > decision.DesiredReplicas)
            {
                return $"scaled down to {decision.DesiredReplicas} within the window after scaling up to {raisedReplicas}";
            }

            var raisedMinThreads = raisedInWindow.Select(r => r.MinThreads).DefaultIfEmpty(0).Max();
            if (decision.MinThreadsAction == MinThreadsAction.Lower && raisedMinThreads > decision.DesiredMinThreads)
            {
                return $"lowered min threads to {decision.DesiredMinThreads} within the window after raising them to {raisedMinThreads}";
            }

            var inWindow = recommendations.Where(r => r.Time > now - window).ToList();
            if (decision.ReplicaAction == ReplicaAction.ScaleDown && inWindow.Any(r => r.Replicas > decision.DesiredReplicas))
            {
                return "scaled down below a recommendation inside the window";
            }

            if (decision.MinThreadsAction == MinThreadsAction.Lower && inWindow.Any(r => r.MinThreads > decision.DesiredMinThreads))
            {
                return "lowered min threads below a recommendation inside the window";
            }
        }

        return null;
    }

    private static TAction ActionOf<TAction>(int current, int desired, TAction up, TAction down, TAction none) =>
        desired > current ? up : desired < current ? down : none;

    private static bool DataUsable(AutoscalerPolicy policy, IReadOnlyList<PodSignals> pods, DateTimeOffset now) =>
        pods.Count > 0 && pods.All(p =>
            p.SampleTime is { } sampled && now - sampled <= policy.MaxStaleness
            && p.CpuUtilization is not null
            && (p.SchedulingDelaySeconds is not null || p.QueueLength is not null));

    /// <summary>A valid spec drawn from the whole valid range, leaning to small replica and thread counts so bounds are hit often.</summary>
    private static ThreadPoolAutoscalerSpec RandomSpec(Random random)
    {
        var minReplicas = random.Next(1, 6);
        var baseline = random.Next(1, 9);
        return new ThreadPoolAutoscalerSpec
        {
            TargetRef = new TargetReference { Name = "api" },
            EvaluationIntervalSeconds = random.Next(5, 61),
            Prometheus = new PrometheusSource { WindowSeconds = random.Next(10, 121), MaxStalenessSeconds = random.Next(1, 181) },
            Replicas = new ReplicaPolicy { Min = minReplicas, Max = minReplicas + random.Next(0, 30) },
            MinThreads = new MinThreadsPolicy { Baseline = baseline, Max = baseline + random.Next(0, 300), Step = random.Next(1, 65) },
            Cpu = new CpuPolicy { TargetUtilizationPercent = random.Next(1, 101) },
            Starvation = new StarvationPolicy
            {
                QueueLengthThreshold = Math.Round(0.5 + (random.NextDouble() * 50), 1),
                SchedulingDelayThresholdMilliseconds = random.Next(1, 1000),
            },
            Behavior = new ScalingBehavior
            {
                Tolerance = Math.Round(random.NextDouble() * 0.5, 2),
                ScaleUpStabilizationWindowSeconds = random.Next(4) == 0 ? random.Next(0, 181) : 0,
                ScaleDownStabilizationWindowSeconds = random.Next(0, 601),
                ScaleUpLimitPercent = random.Next(1, 301),
                ScaleUpLimitPods = random.Next(1, 10),
                ScaleUpPeriodSeconds = random.Next(1, 121),
            },
            Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "api-admin" } },
        };
    }

    /// <summary>Ready pods around a load level, with every way a sample can be unusable and the exact thresholds now and then.</summary>
    private static List<PodSignals> RandomPods(Random random, AutoscalerPolicy policy, int replicas, DateTimeOffset now, double load)
    {
        var count = random.Next(10) switch
        {
            0 => 0,
            1 => random.Next(0, Math.Max(1, replicas)),
            2 => replicas + random.Next(1, 3),
            _ => replicas,
        };
        var delayThreshold = policy.StarvationSchedulingDelay.TotalSeconds;
        var starving = random.Next(3) == 0;
        var pods = new List<PodSignals>(count);
        for (var i = 0; i < count; i++)
        {
            var fault = random.Next(100);
            var age = fault switch
            {
                < 2 => (TimeSpan?)null,
                < 4 => policy.MaxStaleness + TimeSpan.FromMilliseconds(random.Next(1, 120_000)),
                < 6 => policy.MaxStaleness,
                _ => TimeSpan.FromMilliseconds(random.NextDouble() * policy.MaxStaleness.TotalMilliseconds),
            };
            var cpu = fault is >= 6 and < 8 ? (double?)null
                : random.Next(15) == 0 ? policy.TargetCpuUtilization
                : load * (0.8 + (random.NextDouble() * 0.4));
            var bothStarvationSignalsMissing = fault is >= 8 and < 10;
            var delay = bothStarvationSignalsMissing || random.Next(10) == 0 ? (double?)null
                : random.Next(15) == 0 ? delayThreshold
                : random.NextDouble() * delayThreshold * (starving ? 3 : 0.9);
            var queue = bothStarvationSignalsMissing || random.Next(10) == 0 ? (double?)null
                : random.Next(15) == 0 ? policy.StarvationQueueLength
                : random.NextDouble() * policy.StarvationQueueLength * (starving ? 3 : 0.9);
            pods.Add(new PodSignals($"pod-{i}", now - age, cpu, delay, queue, random.Next(1, 300), random.NextDouble() * 500, random.NextDouble(), random.Next(1, 300)));
        }

        return pods;
    }
}
