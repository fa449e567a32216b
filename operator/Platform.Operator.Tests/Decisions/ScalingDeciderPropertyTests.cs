using System.Globalization;
using Platform.Operator.Api;
using Platform.Operator.Decisions;

namespace Platform.Operator.Tests.Decisions;

/// <summary>
/// Random traces of decisions of each loop over simulated time, each from <c>new Random(seed)</c> so any failure
/// can be replayed: random valid specs, random pods (hot, idle and starved side by side), missing, stale and NaN
/// readings, manual scaling and failed applies. The invariants are checked against values the test works out
/// itself (which pods are usable, which starve, the average CPU, since when a window has been observed), not
/// the decider's; and deliberately broken deciders show that the checks can fail.
/// </summary>
public sealed class ScalingDeciderPropertyTests
{
    public enum Knob
    {
        Replicas,
        MinThreads,
    }

    private const int Traces = 10_000;
    private const int FirstSeed = 1_000;

    // The rounding the decider allows itself: a ratio written as 1.1, the average of equal values.
    private const double Slack = 1e-9;

    private static readonly DateTimeOffset Start = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private delegate DecisionOutcome Decider(DecisionInput input, RecommendationHistory history);

    /// <summary>
    /// Each a real decider given a doctored input, policy or history (so the test needs no copy of the
    /// decider), and the invariant it must be caught breaking.
    /// </summary>
    private static readonly Dictionary<string, (Knob Knob, string Caught, Decider Decide)> Broken = new()
    {
        ["replicas acting on stale samples"] = (Knob.Replicas, "acted on missing or stale data", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Pods = input.Pods.Select(p => p.SampleTime is null ? p : p with { SampleTime = input.Now }).ToList() }, history)),
        ["replicas recording holds"] = (Knob.Replicas, "a hold changed the history", (input, history) =>
        {
            var outcome = ScalingDecider.DecideReplicas(input, history);
            return outcome.Decision.Holds ? outcome with { History = history with { Recommendations = history.Recommendations.Add(new(input.Now, input.CurrentReplicas)) } } : outcome;
        }),
        ["replicas blind to starvation"] = (Knob.Replicas, "scaled in while a pod starves", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Policy = input.Policy with { StarvationQueueLength = double.MaxValue, StarvationSchedulingDelay = TimeSpan.MaxValue } }, history)),
        ["replicas scaling up below the target"] = (Knob.Replicas, "below target", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Policy = input.Policy with { TargetCpuUtilization = input.Policy.TargetCpuUtilization / 2 } }, history)),
        ["replicas forgetting the window"] = (Knob.Replicas, "reduced", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Policy = input.Policy with { ScaleDownStabilizationWindow = TimeSpan.Zero } }, history)),
        ["replicas without a scale-up limit"] = (Knob.Replicas, "beyond the scale-up limit", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Policy = input.Policy with { ScaleUpLimitPods = 1000 } }, history)),
        ["replicas without a tolerance"] = (Knob.Replicas, "inside the tolerance", (input, history) =>
            ScalingDecider.DecideReplicas(input with { Policy = input.Policy with { Tolerance = 0 } }, history)),
        ["min threads judging pods by the average CPU"] = (Knob.MinThreads, "raised min threads with no usable pod starved", (input, history) =>
        {
            var average = input.Pods.Select(p => Finite(p.CpuUtilization)).OfType<double>().DefaultIfEmpty(0).Average();
            return ScalingDecider.DecideMinThreads(input with { Pods = input.Pods.Select(p => Finite(p.CpuUtilization) is null ? p : p with { CpuUtilization = average }).ToList() }, history);
        }),
        ["min threads on the replicas' staleness bound"] = (Knob.MinThreads, "acted on missing or stale data", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Policy = input.Policy with { PodSignalInterval = input.Policy.MaxStaleness / 3 } }, history)),
        ["min threads lowered while pods are unread"] = (Knob.MinThreads, "no fresh reading", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Pods = input.Pods.Where(p => Usable(input.Policy.PodSignalMaxAge, p, input.Now)).ToList() }, history)),
        ["min threads lowered below what is used"] = (Knob.MinThreads, "below 1.5 x", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Pods = input.Pods.Select(p => p with { BusyThreads = p.BusyThreads / 2, ThreadCount = p.ThreadCount / 2 }).ToList() }, history)),
        ["min threads forgetting the window"] = (Knob.MinThreads, "reduced", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Policy = input.Policy with { ScaleDownStabilizationWindow = TimeSpan.Zero } }, history)),
        ["min threads sized without the drain"] = (Knob.MinThreads, "starved pods need", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Policy = input.Policy with { PodSignalInterval = input.Policy.PodSignalInterval * 1000 } }, history)),
        ["min threads past spec.minThreads.max"] = (Knob.MinThreads, "outside the bounds", (input, history) =>
            ScalingDecider.DecideMinThreads(input with { Policy = input.Policy with { MinThreadsMax = Math.Min(2 * input.Policy.MinThreadsMax, SpecLimits.MaxWorkerThreads) } }, history)),
    };

    public static TheoryData<Knob> Knobs => new(Knob.Replicas, Knob.MinThreads);

    public static TheoryData<string> BrokenDeciders => new(Broken.Keys);

    [Theory]
    [MemberData(nameof(Knobs))]
    public void Decisions_keep_their_invariants_over_ten_thousand_random_traces(Knob knob)
    {
        Decider decide = knob == Knob.Replicas ? ScalingDecider.DecideReplicas : ScalingDecider.DecideMinThreads;

        var run = RunTraces(knob, decide, stop: failures => failures.Count >= 5);

        Assert.True(run.Failures.Count == 0, $"Replay a trace with RunTrace(seed, Knob.{knob}, ...):\n{string.Join("\n", run.Failures)}");
        Assert.True(run.Decisions > Traces * 10, $"only {run.Decisions} decisions were made");
        // The traces reach every kind of decision, or the invariants would hold for want of cases.
        var kinds = string.Join(", ", run.Kinds.Select(k => $"{k.Key} {k.Value}"));
        Assert.All(new[] { "up", "down", "none", "hold", "correction" }, kind => Assert.True(run.Kinds.GetValueOrDefault(kind) >= 500, $"{kind}: {kinds}; {run.Decisions} decisions"));
    }

    [Theory]
    [MemberData(nameof(BrokenDeciders))]
    public void A_broken_decider_breaks_an_invariant(string broken)
    {
        var (knob, caught, decide) = Broken[broken];

        var run = RunTraces(knob, decide, stop: failures => failures.Any(f => f.Contains(caught, StringComparison.Ordinal)));

        Assert.True(run.Failures.Any(f => f.Contains(caught, StringComparison.Ordinal)),
            $"no trace caught the decider breaking \"{caught}\"; {run.Failures.Count} other failures, the first: {run.Failures.FirstOrDefault()}");
    }

    private sealed record Run(int Decisions, IReadOnlyList<string> Failures, IReadOnlyDictionary<string, int> Kinds);

    private static Run RunTraces(Knob knob, Decider decide, Func<List<string>, bool> stop)
    {
        var failures = new List<string>();
        var kinds = new Dictionary<string, int>();
        var decisions = 0;
        for (var seed = FirstSeed; seed < FirstSeed + Traces && !stop(failures); seed++)
        {
            var (count, failure) = RunTrace(seed, knob, decide, kinds);
            decisions += count;
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        return new Run(decisions, failures, kinds);
    }

    /// <summary>What the test tracks of a trace on its own, to check the windows and the scale-up limit.</summary>
    private sealed class Trace
    {
        public DateTimeOffset? ObservedSince { get; set; }

        public DateTimeOffset? LastRecommendation { get; set; }

        public List<TimedRecommendation> Recommendations { get; } = [];

        /// <summary>What each raise raised to.</summary>
        public List<(DateTimeOffset Time, int Value)> Raises { get; } = [];

        /// <summary>Pods each scale-up added (corrections into bounds included).</summary>
        public List<(DateTimeOffset Time, int Added)> ScaleUps { get; } = [];
    }

    /// <summary>One trace of one loop; returns how many decisions it made and the first broken invariant, if any.</summary>
    private static (int Decisions, string? Failure) RunTrace(int seed, Knob knob, Decider decide, Dictionary<string, int> kinds)
    {
        var random = new Random(seed);
        var spec = RandomSpec(random);
        var validation = SpecValidator.Validate(spec);
        if (validation.Policy is not { } policy)
        {
            return (0, $"seed {seed}: the generator made an invalid spec: {string.Join("; ", validation.Errors)}");
        }

        var longestWindow = knob == Knob.MinThreads || policy.ScaleDownStabilizationWindow >= policy.ScaleUpStabilizationWindow
            ? policy.ScaleDownStabilizationWindow
            : policy.ScaleUpStabilizationWindow;
        var trace = new Trace();
        var now = Start;
        var history = RecommendationHistory.Empty;
        var replicas = random.Next(10) == 0 ? random.Next(0, policy.MaxReplicas + 5) : random.Next(policy.MinReplicas, policy.MaxReplicas + 1);
        var minThreads = random.Next(10) == 0 ? random.Next(0, policy.MinThreadsMax + 20) : random.Next(policy.MinThreadsBaseline, policy.MinThreadsMax + 1);
        var load = random.NextDouble() * 2 * policy.TargetCpuUtilization;
        var steps = knob == Knob.Replicas ? random.Next(10, 60) : random.Next(10, 80);
        for (var step = 0; step < steps; step++)
        {
            now += knob == Knob.Replicas ? ReplicaStep(random) : MinThreadsStep(random, policy.PodSignalInterval);
            load = Math.Clamp(load * (0.7 + (random.NextDouble() * 0.6)) + ((random.NextDouble() - 0.5) * 0.1), 0, 3);
            var pods = RandomPods(random, policy, knob, replicas, minThreads, now, load);
            var input = new DecisionInput(policy, pods, replicas, minThreads, now);
            var outcome = decide(input, history);
            var decision = outcome.Decision;

            var bound = knob == Knob.Replicas ? policy.MaxStaleness : policy.PodSignalMaxAge;
            var usable = pods.Where(p => Usable(bound, p, now)).ToList();
            var decidesOnData = knob == Knob.Replicas ? pods.Count > 0 && usable.Count == pods.Count : usable.Count > 0;
            var inBounds = knob == Knob.Replicas
                ? replicas >= policy.MinReplicas && replicas <= policy.MaxReplicas
                : minThreads >= policy.MinThreadsBaseline && minThreads <= policy.MinThreadsMax;
            var records = decidesOnData && inBounds;
            // The windows restated: a gap as long as the longest window starts the observation again.
            if (records && (trace.LastRecommendation is null || trace.LastRecommendation <= now - longestWindow))
            {
                trace.ObservedSince = now;
            }

            var failure = knob == Knob.Replicas
                ? CheckReplicas(input, outcome, history, usable, decidesOnData, trace)
                : CheckMinThreads(input, outcome, history, usable, trace);
            failure ??= records && (outcome.History.Recommendations.IsEmpty || outcome.History.Recommendations[^1].Time != now)
                ? "a decision on data did not record its recommendation"
                : null;
            if (failure is not null)
            {
                return (step + 1, Describe(seed, knob, step, failure, input, decision));
            }

            var kind = !inBounds ? "correction" : decision.Holds ? "hold"
                : decision.ReplicaAction == ReplicaAction.ScaleUp || decision.MinThreadsAction == MinThreadsAction.Raise ? "up"
                : decision.Acts ? "down" : "none";
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            if (records)
            {
                trace.LastRecommendation = now;
                trace.Recommendations.Add(outcome.History.Recommendations[^1]);
            }

            var current = knob == Knob.Replicas ? replicas : minThreads;
            var desired = knob == Knob.Replicas ? decision.DesiredReplicas : decision.DesiredMinThreads;
            if (desired > current)
            {
                trace.Raises.Add((now, desired));
                trace.ScaleUps.Add((now, desired - current));
            }

            history = outcome.History;
            // Mostly the controller applies the decision; sometimes the apply fails, sometimes someone scales by hand.
            if (knob == Knob.Replicas)
            {
                replicas = random.Next(20) switch
                {
                    0 => random.Next(0, policy.MaxReplicas + 5),
                    1 or 2 => replicas,
                    _ => decision.DesiredReplicas,
                };
            }
            else
            {
                minThreads = random.Next(20) switch
                {
                    0 => random.Next(0, policy.MinThreadsMax + 20),
                    1 => minThreads,
                    _ => decision.DesiredMinThreads,
                };
            }
        }

        return (steps, null);
    }

    private static string? CheckReplicas(DecisionInput input, DecisionOutcome outcome, RecommendationHistory before, List<PodSignals> usable, bool decidesOnData, Trace trace)
    {
        var (policy, decision, replicas, now) = (input.Policy, outcome.Decision, input.CurrentReplicas, input.Now);
        if (decision.DesiredReplicas < policy.MinReplicas || decision.DesiredReplicas > policy.MaxReplicas)
        {
            return "desired replicas outside the bounds";
        }

        if (decision.ReplicaAction != ActionOf(replicas, decision.DesiredReplicas, ReplicaAction.ScaleUp, ReplicaAction.ScaleDown, ReplicaAction.None))
        {
            return "the action does not match desired versus current";
        }

        if (decision.MinThreadsAction != MinThreadsAction.None || decision.DesiredMinThreads != input.CurrentMinThreads)
        {
            return "the replica loop changed min threads";
        }

        var bounded = Math.Clamp(replicas, policy.MinReplicas, policy.MaxReplicas);
        if (bounded != replicas)
        {
            // A correction into bounds ignores the signals and moves straight to the bound, recording no recommendation.
            return decision.DesiredReplicas != bounded ? "a correction into bounds did more than move to the bound"
                : decision.Holds ? "a correction into bounds claimed to hold"
                : outcome.History.Recommendations != before.Recommendations ? "a correction into bounds recorded a recommendation"
                : null;
        }

        if (!decidesOnData)
        {
            // Any pod without a fresh, complete sample holds the replicas.
            return decision.Regime != Regime.Unknown || decision.Acts || !decision.Holds || decision.DesiredReplicas != replicas ? "acted on missing or stale data"
                : !ReferenceEquals(outcome.History, before) ? "a hold changed the history"
                : null;
        }

        if (decision.Holds)
        {
            return "held although every pod had a fresh, complete sample";
        }

        var cpu = usable.Average(p => p.CpuUtilization!.Value);
        var ratio = cpu / policy.TargetCpuUtilization;
        var starved = usable.Any(p => Starved(policy, p));
        var window = policy.ScaleDownStabilizationWindow;
        if (decision.ReplicaAction == ReplicaAction.ScaleUp)
        {
            if (cpu < policy.TargetCpuUtilization)
            {
                return $"scaled up on an average CPU of {cpu}, below target";
            }

            if (ratio - 1 <= policy.Tolerance - 1e-6)
            {
                return $"scaled up on a ratio of {ratio}, inside the tolerance {policy.Tolerance}";
            }

            if (decision.DesiredReplicas > Math.Ceiling((usable.Count * ratio) + 1e-6))
            {
                return $"scaled up beyond the ratio's ceil({usable.Count} x {ratio})";
            }

            var added = trace.ScaleUps.Where(e => e.Time > now - policy.ScaleUpPeriod).Sum(e => e.Added);
            var periodStart = Math.Max(0, replicas - added);
            var limit = periodStart + Math.Max((int)Math.Ceiling(periodStart * policy.ScaleUpLimitPercent / 100.0), policy.ScaleUpLimitPods);
            if (decision.DesiredReplicas > limit)
            {
                return $"scaled up to {decision.DesiredReplicas}, beyond the scale-up limit of {limit} ({added} added in the period)";
            }

            var upWindow = policy.ScaleUpStabilizationWindow;
            if (trace.Recommendations.Any(r => r.Time > now - upWindow && r.Value < decision.DesiredReplicas))
            {
                return "scaled up above a recommendation inside the scale-up window";
            }
        }

        if (decision.ReplicaAction == ReplicaAction.ScaleDown)
        {
            if (starved)
            {
                return "scaled in while a pod starves";
            }

            if (1 - ratio <= policy.Tolerance - 1e-6)
            {
                return $"scaled in on a ratio of {ratio}, inside the tolerance {policy.Tolerance}";
            }

            if (decision.DesiredReplicas < Math.Ceiling((usable.Count * ratio) - 1e-6))
            {
                return $"scaled in below the ratio's ceil({usable.Count} x {ratio})";
            }

            if (ReductionCheck(window, now, decision.DesiredReplicas, trace) is { } early)
            {
                return early;
            }
        }

        // Checked last, so that a broken decider is caught by the rule it breaks rather than by its label.
        var expected = cpu >= policy.TargetCpuUtilization - Slack ? Regime.Saturation : starved ? Regime.Starvation : Regime.Normal;
        return decision.Regime != expected ? $"classified as {decision.Regime}, not {expected}" : null;
    }

    private static string? CheckMinThreads(DecisionInput input, DecisionOutcome outcome, RecommendationHistory before, List<PodSignals> usable, Trace trace)
    {
        var (policy, decision, minThreads, now) = (input.Policy, outcome.Decision, input.CurrentMinThreads, input.Now);
        if (decision.DesiredMinThreads < policy.MinThreadsBaseline || decision.DesiredMinThreads > policy.MinThreadsMax)
        {
            return "desired min threads outside the bounds";
        }

        if (decision.MinThreadsAction != ActionOf(minThreads, decision.DesiredMinThreads, MinThreadsAction.Raise, MinThreadsAction.Lower, MinThreadsAction.None))
        {
            return "the action does not match desired versus current";
        }

        if (decision.ReplicaAction != ReplicaAction.None || decision.DesiredReplicas != input.CurrentReplicas)
        {
            return "the min-threads loop changed replicas";
        }

        var bounded = Math.Clamp(minThreads, policy.MinThreadsBaseline, policy.MinThreadsMax);
        if (bounded != minThreads)
        {
            return decision.DesiredMinThreads != bounded ? "a correction into bounds did more than move to the bound"
                : decision.Holds ? "a correction into bounds claimed to hold"
                : !ReferenceEquals(outcome.History, before) ? "a correction into bounds changed the history"
                : null;
        }

        if (usable.Count == 0)
        {
            // Only when no pod has a usable reading does the loop hold.
            return decision.Regime != Regime.Unknown || decision.Acts || !decision.Holds || decision.DesiredMinThreads != minThreads ? "acted on missing or stale data"
                : !ReferenceEquals(outcome.History, before) ? "a hold changed the history"
                : null;
        }

        if (decision.Holds)
        {
            return $"held although {usable.Count} of {input.Pods.Count} pods had a usable reading";
        }

        var starved = usable.Where(p => Starved(policy, p)).ToList();
        if (decision.MinThreadsAction == MinThreadsAction.Raise && starved.Count == 0)
        {
            return "raised min threads with no usable pod starved";
        }

        if (starved.Count > 0)
        {
            // Starved pods are sized at once (the sizing itself has its own table) and capped at max; nothing waits.
            var needed = starved.Max(p => ScalingDecider.NeededMinThreads(p, minThreads, ScalingDecider.DrainTime(policy)));
            var sized = Math.Min(policy.MinThreadsMax, Math.Max(minThreads, needed));
            if (decision.DesiredMinThreads != sized)
            {
                return $"starved pods need {needed}, so min threads should be {sized}";
            }
        }

        if (decision.MinThreadsAction == MinThreadsAction.Lower)
        {
            if (usable.Count < input.Pods.Count)
            {
                return $"lowered min threads while {input.Pods.Count - usable.Count} pods had no fresh reading";
            }

            var used = usable.Select(p => Finite(p.BusyThreads) ?? Finite(p.ThreadCount)).OfType<double>().DefaultIfEmpty(0).Max();
            var target = Math.Max(policy.MinThreadsBaseline, (int)Math.Ceiling((used * ScalingDecider.InUseHeadroom) - Slack));
            if (decision.DesiredMinThreads < target)
            {
                return $"lowered min threads to {decision.DesiredMinThreads}, below 1.5 x the {used} threads in use";
            }

            if (target * 2 > minThreads)
            {
                return $"lowered min threads from {minThreads} although their target {target} is more than half of that";
            }

            if (ReductionCheck(policy.ScaleDownStabilizationWindow, now, decision.DesiredMinThreads, trace) is { } early)
            {
                return early;
            }
        }

        // Checked last, so that a broken decider is caught by the rule it breaks rather than by its label.
        var expected = starved.Count > 0 ? Regime.Starvation
            : usable.Any(p => p.CpuUtilization >= policy.TargetCpuUtilization) ? Regime.Saturation
            : Regime.Normal;
        return decision.Regime != expected ? $"classified as {decision.Regime}, not {expected}" : null;
    }

    /// <summary>A reduction needs a whole window observed, and nothing recommended or raised to above it within the window.</summary>
    private static string? ReductionCheck(TimeSpan window, DateTimeOffset now, int desired, Trace trace)
    {
        if (trace.ObservedSince is not { } since || now - since < window)
        {
            return $"reduced {(now - (trace.ObservedSince ?? now)).TotalSeconds} s after the observation started, inside the {window.TotalSeconds} s window";
        }

        var raised = trace.Raises.Where(r => r.Time > now - window).Select(r => r.Value).DefaultIfEmpty(0).Max();
        if (raised > desired)
        {
            return $"reduced to {desired} within the window after raising to {raised}";
        }

        return trace.Recommendations.Any(r => r.Time > now - window && r.Value > desired) ? "reduced below a recommendation inside the window" : null;
    }

    /// <summary>A reading the loop may use: sampled within its staleness bound, with a CPU and at least one starvation signal.</summary>
    private static bool Usable(TimeSpan bound, PodSignals pod, DateTimeOffset now) =>
        pod.SampleTime is { } sampled && now - sampled <= bound
        && Finite(pod.CpuUtilization) is not null
        && (Finite(pod.SchedulingDelaySeconds) is not null || Finite(pod.QueueLength) is not null);

    /// <summary>A pod judged on its own: below the CPU target, with a queue or a delay above its threshold.</summary>
    private static bool Starved(AutoscalerPolicy policy, PodSignals pod) =>
        pod.CpuUtilization < policy.TargetCpuUtilization
        && (Finite(pod.QueueLength) > policy.StarvationQueueLength || Finite(pod.SchedulingDelaySeconds) > policy.StarvationSchedulingDelay.TotalSeconds);

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static TAction ActionOf<TAction>(int current, int desired, TAction up, TAction down, TAction none) =>
        desired > current ? up : desired < current ? down : none;

    private static string Describe(int seed, Knob knob, int step, string failure, DecisionInput input, Decision decision) =>
        string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}, {knob}, step {step} (t = {(input.Now - Start).TotalSeconds} s): {failure}\n  input: replicas {input.CurrentReplicas}, min threads {input.CurrentMinThreads}, pods [{string.Join(", ", input.Pods.Select(p =>
                $"{p.SampleTime?.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} cpu {p.CpuUtilization} delay {p.SchedulingDelaySeconds} queue {p.QueueLength} busy {p.BusyThreads} rate {p.WorkItemRate}"))}]\n  policy: {input.Policy}\n  decision: {decision.Regime} {decision.DesiredReplicas} replicas, {decision.DesiredMinThreads} min threads, {decision.Reason}: {decision.Message}");

    /// <summary>Mostly an evaluation interval, sometimes a short retry, now and then an outage longer than the windows.</summary>
    private static TimeSpan ReplicaStep(Random random) => random.Next(20) switch
    {
        0 => TimeSpan.FromSeconds(random.Next(200, 900)),
        < 4 => TimeSpan.FromMilliseconds(random.Next(500, 5000)),
        _ => TimeSpan.FromSeconds(random.Next(5, 31)),
    };

    /// <summary>Mostly about one pod-signal interval; sometimes longer, so traces reach the end of a window; now and then an outage.</summary>
    private static TimeSpan MinThreadsStep(Random random, TimeSpan interval) => random.Next(20) switch
    {
        0 => TimeSpan.FromSeconds(random.Next(200, 900)),
        < 3 => interval * (0.1 + (random.NextDouble() * 0.9)),
        < 12 => TimeSpan.FromSeconds(random.Next(5, 31)),
        _ => interval * (0.8 + (random.NextDouble() * 0.4)),
    };

    /// <summary>A valid spec drawn from the whole valid range, leaning to small replica and thread counts and short windows so bounds and windows are hit often.</summary>
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
            MinThreads = new MinThreadsPolicy { Baseline = baseline, Max = baseline + random.Next(0, 300) },
            PodSignals = new PodSignalSource
            {
                IntervalMilliseconds = random.Next(2) == 0 ? 1000 : random.Next(SpecLimits.MinPodSignalIntervalMilliseconds, SpecLimits.MaxPodSignalIntervalMilliseconds + 1),
            },
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
                ScaleDownStabilizationWindowSeconds = random.Next(3) == 0 ? random.Next(0, 31) : random.Next(0, 601),
                ScaleUpLimitPercent = random.Next(1, 301),
                ScaleUpLimitPods = random.Next(1, 10),
                ScaleUpPeriodSeconds = random.Next(1, 121),
            },
            Admin = new AdminEndpoint { TokenSecretRef = new SecretKeyReference { Name = "api-admin" } },
        };
    }

    /// <summary>
    /// Pods around a load level, hot and starved ones among them, with every way a reading can be unusable (for
    /// the loop at hand and for the other one), the exact thresholds now and then, and busy threads around a
    /// share of the current min threads so that lowering is in reach.
    /// </summary>
    private static List<PodSignals> RandomPods(Random random, AutoscalerPolicy policy, Knob knob, int replicas, int minThreads, DateTimeOffset now, double load)
    {
        var count = random.Next(10) switch
        {
            0 => 0,
            1 => random.Next(0, Math.Max(1, replicas)),
            2 => replicas + random.Next(1, 3),
            _ => Math.Max(replicas, 1),
        };
        var (bound, otherBound) = knob == Knob.Replicas ? (policy.MaxStaleness, policy.PodSignalMaxAge) : (policy.PodSignalMaxAge, policy.MaxStaleness);
        var delayThreshold = policy.StarvationSchedulingDelay.TotalSeconds;
        var starving = random.Next(3) == 0;
        // A third of the steps have no faulty reading at all: with many pods, one fault a pod would make nearly every replica decision a hold.
        var faults = random.Next(3) != 0;
        var use = random.Next(3) == 0 ? random.NextDouble() * 0.3 : random.NextDouble() * 1.2;
        var pods = new List<PodSignals>(count);
        for (var i = 0; i < count; i++)
        {
            var fault = faults ? random.Next(100) : 100;
            var age = fault switch
            {
                < 2 => (TimeSpan?)null,
                < 4 => bound + TimeSpan.FromMilliseconds(random.Next(1, 120_000)),
                < 6 => bound,
                < 8 => otherBound + TimeSpan.FromMilliseconds(random.Next(-1, 2)),
                _ => TimeSpan.FromMilliseconds(random.NextDouble() * bound.TotalMilliseconds),
            };
            // A hot pod runs at three times the load and queues work too, beside pods that need nothing.
            var hot = random.Next(6) == 0;
            var cpu = fault is >= 8 and < 10 ? (double?)null
                : fault == 10 ? double.NaN
                : random.Next(15) == 0 ? policy.TargetCpuUtilization
                : hot ? load * 3
                : load * (0.8 + (random.NextDouble() * 0.4));
            var signalLevel = starving || hot ? 3 : 0.9;
            var bothStarvationSignalsMissing = fault is >= 11 and < 13;
            var delay = bothStarvationSignalsMissing || (faults && random.Next(10) == 0) ? (double?)null
                : faults && random.Next(50) == 0 ? double.NaN
                : random.Next(15) == 0 ? delayThreshold
                : random.NextDouble() * delayThreshold * signalLevel;
            var queue = bothStarvationSignalsMissing || (faults && random.Next(10) == 0) ? (double?)null
                : random.Next(15) == 0 ? policy.StarvationQueueLength
                : random.NextDouble() * policy.StarvationQueueLength * signalLevel;
            double? busy = random.Next(15) == 0 ? null : random.Next(100) == 0 ? double.NaN : Math.Round(minThreads * use * (0.5 + (random.NextDouble() * 0.5)));
            pods.Add(new PodSignals($"pod-{i}", now - age, cpu, delay, queue, random.Next(10) == 0 ? null : (busy is { } b && double.IsFinite(b) ? b : 0) + random.Next(0, 10),
                random.NextDouble() * 500, random.NextDouble(), minThreads)
            {
                BusyThreads = busy,
                WorkItemRate = random.Next(15) == 0 ? 0 : random.Next(30) == 0 ? null : 1 + (random.NextDouble() * 500),
                QueueGrowthRate = random.Next(8) == 0 ? null : (random.NextDouble() - 0.5) * 200,
                MeanRequestSeconds = random.Next(8) == 0 ? null : random.Next(50) == 0 ? 0 : 0.001 + (random.NextDouble() * 2),
            });
        }

        return pods;
    }
}
