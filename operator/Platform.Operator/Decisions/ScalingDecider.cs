using static System.FormattableString;

namespace Platform.Operator.Decisions;

/// <summary>A decision and the anti-flap memory to pass to the next one.</summary>
public sealed record DecisionOutcome(Decision Decision, RecommendationHistory History);

/// <summary>
/// The pure decision function, shaped like the HPA's replica calculator plus its stabilisation: pod
/// signals, the current replicas and min threads, and the time in; a <see cref="Decision"/> out. No I/O,
/// no clock, no randomness, so any decision can be replayed from its input.
/// </summary>
/// <remarks>
/// Only starvation raises min threads and only saturation adds pods, so no decision raises both (a
/// correction into the spec's bounds is the one exception, and it ignores the signals).
/// </remarks>
public static class ScalingDecider
{
    // A ratio written as 1.1 is 1.1000000000000001 in binary; without slack it would fall outside a 0.1 band.
    private const double Slack = 1e-9;

    public static DecisionOutcome Decide(DecisionInput input, RecommendationHistory history)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(history);
        var readings = PodReadings.Read(input);

        // Bounds come before signals, as in the HPA: a spec change or a manual scale is corrected even without data.
        if (CorrectBounds(input, readings, history) is { } corrected)
        {
            return corrected;
        }

        // Never act on absent or stale data; a hold records nothing, so it cannot sway later decisions.
        if (readings.HoldReason is { } holdReason)
        {
            return new DecisionOutcome(Hold(input, readings, holdReason), history);
        }

        var policy = input.Policy;
        var now = input.Now;
        var signals = readings.Signals;
        var regime = Classify(policy, signals);
        var ratio = signals.CpuUtilization!.Value / policy.TargetCpuUtilization;
        var withinTolerance = Math.Abs(ratio - 1) <= policy.Tolerance + Slack;
        var pruned = history.Prune(now, policy);

        var currentReplicas = input.CurrentReplicas;
        // Like the HPA, the ratio applies to the pods that reported (the ready ones): pods still starting
        // carry no load yet and would otherwise be counted as if they were as busy as the rest.
        var proposedReplicas = regime switch
        {
            Regime.Saturation when !withinTolerance => Math.Max(currentReplicas, CeilToInt(readings.Usable.Count * ratio)),
            Regime.Normal when !withinTolerance => Math.Min(currentReplicas, CeilToInt(readings.Usable.Count * ratio)),
            // Starving pods show low CPU because their threads are blocked: that is no reason to remove pods.
            _ => currentReplicas,
        };
        var recommendedReplicas = Math.Clamp(proposedReplicas, policy.MinReplicas, policy.MaxReplicas);
        var stabilizedReplicas = pruned.Stabilize(r => r.Replicas, currentReplicas, recommendedReplicas, now,
            policy.ScaleUpStabilizationWindow, policy.ScaleDownStabilizationWindow);
        var scaleUpLimit = ScaleUpLimit(policy, currentReplicas, pruned.AddedWithin(policy.ScaleUpPeriod, now));
        var desiredReplicas = stabilizedReplicas > currentReplicas
            ? Math.Max(currentReplicas, Math.Min(stabilizedReplicas, scaleUpLimit))
            : stabilizedReplicas;
        desiredReplicas = Math.Clamp(desiredReplicas, policy.MinReplicas, policy.MaxReplicas);

        var currentMinThreads = input.CurrentMinThreads;
        var recommendedMinThreads = regime switch
        {
            Regime.Starvation => Math.Min(currentMinThreads + policy.MinThreadsStep, policy.MinThreadsMax),
            // More threads on a busy CPU only add contention.
            Regime.Saturation => currentMinThreads,
            _ => Math.Max(policy.MinThreadsBaseline, currentMinThreads - policy.MinThreadsStep),
        };
        // Raising acts at once (a starved pool needs threads now); lowering waits out the scale-down window.
        var desiredMinThreads = Math.Clamp(
            pruned.Stabilize(r => r.MinThreads, currentMinThreads, recommendedMinThreads, now, TimeSpan.Zero, policy.ScaleDownStabilizationWindow),
            policy.MinThreadsBaseline,
            policy.MinThreadsMax);

        var observedFor = pruned.HasObserved(policy.ScaleDownStabilizationWindow, now) ? (TimeSpan?)null : now - pruned.ObservedSince!.Value;
        var plan = new Plan(input, signals, regime, withinTolerance, observedFor, proposedReplicas, recommendedReplicas, stabilizedReplicas,
            desiredReplicas, recommendedMinThreads, desiredMinThreads);
        var (reason, message) = Explain(plan);
        var decision = new Decision(regime, ReplicaActionFor(currentReplicas, desiredReplicas), MinThreadsActionFor(currentMinThreads, desiredMinThreads),
            desiredReplicas, desiredMinThreads, reason, message, signals);
        var updated = pruned.With(
            new TimedRecommendation(now, recommendedReplicas, recommendedMinThreads),
            desiredReplicas > currentReplicas ? new ScaleUpEvent(now, desiredReplicas - currentReplicas) : null);
        return new DecisionOutcome(decision, updated);
    }

    /// <summary>Saturation at or above the CPU target wins over any starvation signal; see FIELD-NOTES §12.1.</summary>
    private static Regime Classify(AutoscalerPolicy policy, DecisionSignals signals)
    {
        if (signals.CpuUtilization >= policy.TargetCpuUtilization)
        {
            return Regime.Saturation;
        }

        return IsQueueStarved(policy, signals) || IsDelayStarved(policy, signals) ? Regime.Starvation : Regime.Normal;
    }

    private static bool IsQueueStarved(AutoscalerPolicy policy, DecisionSignals signals) => signals.QueueLength > policy.StarvationQueueLength;

    private static bool IsDelayStarved(AutoscalerPolicy policy, DecisionSignals signals) =>
        signals.SchedulingDelaySeconds > policy.StarvationSchedulingDelay.TotalSeconds;

    /// <summary>The HPA's default scale-up rule: per period, the larger of a percentage and a pod count, counted from the period's start.</summary>
    private static int ScaleUpLimit(AutoscalerPolicy policy, int currentReplicas, int addedInPeriod)
    {
        var periodStart = Math.Max(0, currentReplicas - addedInPeriod);
        var byPercent = (periodStart * policy.ScaleUpLimitPercent + 99) / 100;
        return periodStart + Math.Max(byPercent, policy.ScaleUpLimitPods);
    }

    private static DecisionOutcome? CorrectBounds(DecisionInput input, PodReadings readings, RecommendationHistory history)
    {
        var policy = input.Policy;
        var replicas = Math.Clamp(input.CurrentReplicas, policy.MinReplicas, policy.MaxReplicas);
        var minThreads = Math.Clamp(input.CurrentMinThreads, policy.MinThreadsBaseline, policy.MinThreadsMax);
        if (replicas == input.CurrentReplicas && minThreads == input.CurrentMinThreads)
        {
            return null;
        }

        var corrections = new List<(string Reason, string Message)>();
        if (input.CurrentReplicas < policy.MinReplicas)
        {
            corrections.Add((DecisionReasons.BelowMinReplicas,
                Invariant($"replicas {input.CurrentReplicas} are below spec.replicas.min ({policy.MinReplicas}): replicas {input.CurrentReplicas} -> {replicas}")));
        }
        else if (input.CurrentReplicas > policy.MaxReplicas)
        {
            corrections.Add((DecisionReasons.AboveMaxReplicas,
                Invariant($"replicas {input.CurrentReplicas} are above spec.replicas.max ({policy.MaxReplicas}): replicas {input.CurrentReplicas} -> {replicas}")));
        }

        if (input.CurrentMinThreads < policy.MinThreadsBaseline)
        {
            corrections.Add((DecisionReasons.BelowMinThreadsBaseline,
                Invariant($"min threads {input.CurrentMinThreads} are below spec.minThreads.baseline ({policy.MinThreadsBaseline}): min threads {input.CurrentMinThreads} -> {minThreads}")));
        }
        else if (input.CurrentMinThreads > policy.MinThreadsMax)
        {
            corrections.Add((DecisionReasons.AboveMinThreadsMax,
                Invariant($"min threads {input.CurrentMinThreads} are above spec.minThreads.max ({policy.MinThreadsMax}): min threads {input.CurrentMinThreads} -> {minThreads}")));
        }

        var regime = readings.HoldReason is null ? Classify(policy, readings.Signals) : Regime.Unknown;
        var decision = new Decision(regime, ReplicaActionFor(input.CurrentReplicas, replicas), MinThreadsActionFor(input.CurrentMinThreads, minThreads),
            replicas, minThreads, corrections[0].Reason, string.Join("; ", corrections.Select(c => c.Message)), readings.Signals);
        // Added pods count against the scale-up limit like any others; no recommendation is recorded.
        var updated = replicas > input.CurrentReplicas
            ? history with { ScaleUps = history.ScaleUps.Add(new ScaleUpEvent(input.Now, replicas - input.CurrentReplicas)) }
            : history;
        return new DecisionOutcome(decision, updated);
    }

    private static Decision Hold(DecisionInput input, PodReadings readings, string reason)
    {
        var holding = Invariant($"holding replicas at {input.CurrentReplicas} and min threads at {input.CurrentMinThreads}");
        var pods = input.Pods.Count;
        var message = input.Pods.Count == 0
            ? $"no ready pod reported metrics: {holding}"
            : reason == DecisionReasons.MetricsStale
                ? Invariant($"metrics of {readings.Stale.Count} of {pods} pods ({Names(readings.Stale)}) are older than {input.Policy.MaxStaleness.TotalSeconds} s: {holding}")
                : Invariant($"no usable metrics (CPU and a starvation signal) from {readings.Missing.Count} of {pods} pods ({Names(readings.Missing)}): {holding}");
        return new Decision(Regime.Unknown, ReplicaAction.None, MinThreadsAction.None, input.CurrentReplicas, input.CurrentMinThreads,
            reason, message, readings.Signals);

        static string Names(IReadOnlyList<string> names) =>
            names.Count <= 3 ? string.Join(", ", names) : string.Join(", ", names.Take(3)) + Invariant($" and {names.Count - 3} more");
    }

    private static (string Reason, string Message) Explain(Plan plan)
    {
        var input = plan.Input;
        var policy = input.Policy;
        var signals = plan.Signals;
        var cpu = Invariant($"CPU at {Percent(signals.CpuUtilization!.Value)} % of request");
        var target = Invariant($"target {Percent(policy.TargetCpuUtilization)} %");
        var tolerance = Invariant($"within the {Percent(policy.Tolerance)} % tolerance of the {target}");
        var replicasChange = Change("replicas", input.CurrentReplicas, plan.DesiredReplicas);
        var minThreadsChange = Change("min threads", input.CurrentMinThreads, plan.DesiredMinThreads);

        switch (plan.Regime)
        {
            case Regime.Starvation:
                var starved = Invariant($"{StarvationEvidence(policy, signals)} with {cpu} ({target})");
                return plan.DesiredMinThreads > input.CurrentMinThreads
                    ? (DecisionReasons.Starvation, $"{starved}: {minThreadsChange}")
                    : (DecisionReasons.AtMaxMinThreads,
                        Invariant($"{starved}: min threads already at spec.minThreads.max ({policy.MinThreadsMax}); replicas stay at {input.CurrentReplicas}"));

            case Regime.Saturation:
                var busy = IsQueueStarved(policy, signals) || IsDelayStarved(policy, signals)
                    ? Invariant($"; {StarvationEvidence(policy, signals)} comes from the busy CPU, so min threads stay at {input.CurrentMinThreads}")
                    : "";
                if (plan.WithinTolerance)
                {
                    return (DecisionReasons.WithinTolerance, Invariant($"{cpu} is {tolerance}: replicas stay at {input.CurrentReplicas}{busy}"));
                }

                var saturated = Invariant($"{cpu} over {signals.PodsWithData} pods is at or above the {target}");
                if (plan.ProposedReplicas > policy.MaxReplicas && plan.DesiredReplicas == policy.MaxReplicas)
                {
                    var atMax = plan.DesiredReplicas > input.CurrentReplicas
                        ? Invariant($"{replicasChange}, capped at spec.replicas.max (wanted {plan.ProposedReplicas})")
                        : Invariant($"replicas already at spec.replicas.max ({policy.MaxReplicas}), wanted {plan.ProposedReplicas}");
                    return (DecisionReasons.AtMaxReplicas, $"{saturated}: {atMax}{busy}");
                }

                if (plan.DesiredReplicas < plan.StabilizedReplicas)
                {
                    var limit = Invariant($"at most {policy.ScaleUpLimitPercent} % or {policy.ScaleUpLimitPods} pods per {policy.ScaleUpPeriod.TotalSeconds} s");
                    var limited = plan.DesiredReplicas > input.CurrentReplicas
                        ? Invariant($"{replicasChange} (wanted {plan.StabilizedReplicas}; scale-up limit {limit})")
                        : Invariant($"replicas stay at {input.CurrentReplicas} (wanted {plan.StabilizedReplicas}; the scale-up limit of {limit} is used up)");
                    return (DecisionReasons.ScaleUpLimited, $"{saturated}: {limited}{busy}");
                }

                var scaled = plan.DesiredReplicas > input.CurrentReplicas ? replicasChange
                    : plan.RecommendedReplicas > input.CurrentReplicas
                        ? Invariant($"replicas stay at {input.CurrentReplicas} within the scale-up stabilisation window ({policy.ScaleUpStabilizationWindow.TotalSeconds} s)")
                        : Invariant($"replicas stay at {input.CurrentReplicas}, enough for the load of the {signals.PodsWithData} pods that reported");
                return (DecisionReasons.Saturation, $"{saturated}: {scaled}{busy}");

            default:
                var quiet = plan.WithinTolerance ? Invariant($"{cpu} is {tolerance}, no starvation") : Invariant($"{cpu} ({target}), no starvation");
                var replicasHeld = plan.RecommendedReplicas < input.CurrentReplicas && plan.DesiredReplicas == input.CurrentReplicas;
                var minThreadsHeld = plan.RecommendedMinThreads < input.CurrentMinThreads && plan.DesiredMinThreads == input.CurrentMinThreads;
                var window = plan.ObservedFor is { } observedFor
                    ? Invariant($"recommendations cover only {observedFor.TotalSeconds:0} s of the {policy.ScaleDownStabilizationWindow.TotalSeconds} s scale-down window")
                    : Invariant($"a higher recommendation is inside the scale-down window ({policy.ScaleDownStabilizationWindow.TotalSeconds} s)");
                var effects = new List<string>();
                if (plan.DesiredReplicas != input.CurrentReplicas)
                {
                    effects.Add(replicasChange);
                }
                else if (replicasHeld)
                {
                    effects.Add(Invariant($"replicas stay at {input.CurrentReplicas}"));
                }

                if (plan.DesiredMinThreads != input.CurrentMinThreads)
                {
                    effects.Add(minThreadsChange);
                }
                else if (minThreadsHeld)
                {
                    effects.Add(Invariant($"min threads stay at {input.CurrentMinThreads}"));
                }

                if (plan.DesiredReplicas < input.CurrentReplicas || plan.DesiredMinThreads < input.CurrentMinThreads)
                {
                    var heldNote = replicasHeld || minThreadsHeld ? $" ({window} for the rest)" : "";
                    return (DecisionReasons.Idle, $"{quiet}: {string.Join(", ", effects)}{heldNote}");
                }

                if (replicasHeld || minThreadsHeld)
                {
                    return (DecisionReasons.ScaleDownStabilized, $"{quiet}: {string.Join(" and ", effects)}; {window}");
                }

                var steady = Invariant($"replicas stay at {input.CurrentReplicas}, min threads at {input.CurrentMinThreads}");
                return plan.WithinTolerance
                    ? (DecisionReasons.WithinTolerance, $"{quiet}: {steady}")
                    : (DecisionReasons.Idle, $"{quiet}: nothing left to reduce, {steady}");
        }
    }

    private static string StarvationEvidence(AutoscalerPolicy policy, DecisionSignals signals)
    {
        var evidence = new List<string>();
        if (IsDelayStarved(policy, signals))
        {
            evidence.Add(Invariant(
                $"scheduling delay p90 {Milliseconds(signals.SchedulingDelaySeconds!.Value)} ms > {Milliseconds(policy.StarvationSchedulingDelay.TotalSeconds)} ms"));
        }

        if (IsQueueStarved(policy, signals))
        {
            evidence.Add(Invariant($"queue length {signals.QueueLength!.Value:0.#} > {policy.StarvationQueueLength:0.#}"));
        }

        return string.Join(" and ", evidence);
    }

    private static string Change(string knob, int current, int desired) =>
        current == desired ? Invariant($"{knob} stay at {current}") : Invariant($"{knob} {current} -> {desired}");

    private static string Percent(double fraction) => Invariant($"{fraction * 100:0.#}");

    private static string Milliseconds(double seconds) => Invariant($"{seconds * 1000:0}");

    private static ReplicaAction ReplicaActionFor(int current, int desired) =>
        desired > current ? ReplicaAction.ScaleUp : desired < current ? ReplicaAction.ScaleDown : ReplicaAction.None;

    private static MinThreadsAction MinThreadsActionFor(int current, int desired) =>
        desired > current ? MinThreadsAction.Raise : desired < current ? MinThreadsAction.Lower : MinThreadsAction.None;

    // The slack keeps a product such as 3 × 1.6666666666666667 = 5.000000000000001 at 5 pods, not 6.
    private static int CeilToInt(double value) => value >= int.MaxValue ? int.MaxValue : (int)Math.Ceiling(value - Slack);

    /// <summary>The intermediate values of one decision, kept for its explanation.</summary>
    /// <param name="ObservedFor">Null once a whole scale-down window has been observed; until then, how much of it has.</param>
    private sealed record Plan(
        DecisionInput Input,
        DecisionSignals Signals,
        Regime Regime,
        bool WithinTolerance,
        TimeSpan? ObservedFor,
        int ProposedReplicas,
        int RecommendedReplicas,
        int StabilizedReplicas,
        int DesiredReplicas,
        int RecommendedMinThreads,
        int DesiredMinThreads);

    /// <summary>The pods sorted into usable, missing and stale, and the aggregate of the usable ones.</summary>
    private sealed record PodReadings(IReadOnlyList<PodSignals> Usable, IReadOnlyList<string> Missing, IReadOnlyList<string> Stale, DecisionSignals Signals)
    {
        public string? HoldReason =>
            Missing.Count > 0 || (Usable.Count == 0 && Stale.Count == 0) ? DecisionReasons.MetricsMissing
            : Stale.Count > 0 ? DecisionReasons.MetricsStale
            : null;

        public static PodReadings Read(DecisionInput input)
        {
            var usable = new List<PodSignals>();
            var missing = new List<string>();
            var stale = new List<string>();
            foreach (var pod in input.Pods)
            {
                if (pod.SampleTime is not { } sampled)
                {
                    missing.Add(pod.Pod);
                }
                else if (input.Now - sampled > input.Policy.MaxStaleness)
                {
                    stale.Add(pod.Pod);
                }
                // CPU is mandatory (it separates starvation from saturation); of the starvation signals one is enough.
                else if (Finite(pod.CpuUtilization) is null || (Finite(pod.SchedulingDelaySeconds) is null && Finite(pod.QueueLength) is null))
                {
                    missing.Add(pod.Pod);
                }
                else
                {
                    usable.Add(pod);
                }
            }

            var signals = new DecisionSignals(
                CpuUtilization: Aggregate(usable, p => p.CpuUtilization, values => values.Average()),
                SchedulingDelaySeconds: Aggregate(usable, p => p.SchedulingDelaySeconds, values => values.Max()),
                QueueLength: Aggregate(usable, p => p.QueueLength, values => values.Max()),
                ThreadCount: Aggregate(usable, p => p.ThreadCount, values => values.Max()),
                RequestRate: Aggregate(usable, p => p.RequestRate, values => values.Sum()),
                LatencyP95Seconds: Aggregate(usable, p => p.LatencyP95Seconds, values => values.Max()),
                PodsWithData: usable.Count);
            return new PodReadings(usable, missing, stale, signals);
        }

        // NaN (an empty histogram_quantile, for one) or infinity is no measurement at all.
        private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

        private static double? Aggregate(List<PodSignals> pods, Func<PodSignals, double?> select, Func<IEnumerable<double>, double> combine)
        {
            var values = pods.Select(p => Finite(select(p))).OfType<double>().ToList();
            return values.Count == 0 ? null : combine(values);
        }
    }
}
