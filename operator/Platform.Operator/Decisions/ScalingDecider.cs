using static System.FormattableString;

namespace Platform.Operator.Decisions;

/// <summary>A decision and the anti-flap memory to pass to the next one of the same knob.</summary>
public sealed record DecisionOutcome(Decision Decision, RecommendationHistory History);

/// <summary>
/// The pure decision functions, shaped like the HPA's replica calculator plus its stabilisation: pod
/// signals, the current replicas and min threads, and the time in; a <see cref="Decision"/> out. No I/O,
/// no clock, no randomness, so any decision can be replayed from its input.
/// </summary>
/// <remarks>
/// Each pod is judged on its own first (<see cref="Judge"/>): at or above the CPU target it is saturated,
/// whatever its queue; below it, a queue or scheduling delay above its threshold means its threads are
/// blocked. Then each knob is decided for the autoscaler by its own loop:
/// <list type="bullet">
/// <item><see cref="DecideMinThreads"/>, every second from the pods' control ports: starved pods get the
/// min threads they need at once (sized, not stepped); idle ones give them back only after the scale-down
/// window, and only down to what they use.</item>
/// <item><see cref="DecideReplicas"/>, every evaluation from Prometheus's longer windows: the HPA's rule on
/// the average CPU, with its tolerance, bounds, stabilisation and scale-up limit.</item>
/// </list>
/// Only starvation raises min threads and only saturation adds pods, so no cause raises both. Every rule
/// that changes the proposed value is returned as a <see cref="Limit"/> with its reason.
/// </remarks>
public static class ScalingDecider
{
    /// <summary>
    /// When min threads are lowered, they go to this multiple of the threads the busiest pod uses, and only
    /// when that is at most half the current value: pods that use at least half their min threads keep them,
    /// so a steady load never sees min threads turn round.
    /// </summary>
    public const double InUseHeadroom = 1.5;

    // A ratio written as 1.1 is 1.1000000000000001 in binary; without slack it would fall outside a 0.1 band.
    private const double Slack = 1e-9;

    /// <summary>How the decision logic judges one pod: its cause, and for a starved pod the min threads it needs.</summary>
    public static PodJudgement Judge(AutoscalerPolicy policy, PodSignals pod, int currentMinThreads)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(pod);
        var cpu = Finite(pod.CpuUtilization);
        var delay = Finite(pod.SchedulingDelaySeconds);
        var queue = Finite(pod.QueueLength);
        // CPU is mandatory (it separates starvation from saturation); of the starvation signals one is enough.
        if (cpu is null || (delay is null && queue is null))
        {
            return new PodJudgement(pod.Pod, PodCause.NoData, cpu, delay, queue, null);
        }
        if (cpu >= policy.TargetCpuUtilization)
        {
            return new PodJudgement(pod.Pod, PodCause.Saturated, cpu, delay, queue, null);
        }
        var starved = queue > policy.StarvationQueueLength || delay > policy.StarvationSchedulingDelay.TotalSeconds;
        return starved
            ? new PodJudgement(pod.Pod, PodCause.Starved, cpu, delay, queue, NeededMinThreads(pod, currentMinThreads, DrainTime(policy)))
            : new PodJudgement(pod.Pod, PodCause.Normal, cpu, delay, queue, null);
    }

    /// <summary>
    /// The min threads a starved pod needs, from what it shows. Work items arrive at the rate the pool
    /// completes them (μ) plus the queue's growth; each holds a thread for W, the smaller of two measures:
    /// busy threads ÷ μ (right for any mix, but high while the pool is still growing within the window) and
    /// the mean request duration (exact for a synchronous handler, high for asynchronous requests that hold
    /// no thread while they wait). By Little's law the threads busy on average are R = W × arrivals; random
    /// arrivals need more than the average to rarely wait, and square-root staffing (R + 2√R, as call centres
    /// and server farms are sized so that few requests queue) gives that margin, a smaller share the bigger
    /// the pod. On top, the Q already queued should be gone within the drain time: W × Q / drain more. The
    /// backlog built up while the loop was looking, about one interval of arrivals; draining it in two
    /// intervals adds about half the steady need, so the peak stays under twice what the pod then uses.
    /// <para>
    /// Arrivals that do not depend on service (an open model, like k6's arrival-rate executors) make the
    /// queue fill or empty fast: at its pace it would have been built, or be gone, within the drain time.
    /// A queue that changes more slowly than that while every min thread is busy and items arrive as fast as
    /// those threads can serve them (at least nine tenths of busy ÷ hold) is steady demand: clients that wait
    /// for each answer before asking again (a closed loop), whose arrivals grow with the service they get, so
    /// the rate the pool completes understates them. Each of its waiting items needs a thread of its own: the
    /// pod needs at least busy + queued. A pool that could serve more than arrives is draining its backlog
    /// already, however slowly its queue moves, and gets no more. When nothing completed in a whole interval, every
    /// item holds its thread longer than that: each waiting item gets a thread, and the next reading sizes
    /// from what then completes.
    /// </para>
    /// </summary>
    public static int NeededMinThreads(PodSignals pod, int currentMinThreads, TimeSpan drainTime)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var busy = Finite(pod.BusyThreads) ?? Finite(pod.ThreadCount);
        var completed = Finite(pod.WorkItemRate);
        var queued = Math.Max(0, Finite(pod.QueueLength) ?? 0);
        if (busy is not { } b)
        {
            return CeilToInt(2.0 * currentMinThreads);
        }
        if (completed is not > 0)
        {
            return CeilToInt(Math.Max(b, currentMinThreads) + queued);
        }
        var hold = b / completed.Value;
        if (Finite(pod.MeanRequestSeconds) is { } request && request > 0 && request < hold)
        {
            hold = request;
        }
        var growth = Finite(pod.QueueGrowthRate);
        var drainSeconds = Math.Max(drainTime.TotalSeconds, 0.001);
        var arrivals = Math.Max(0, completed.Value + (growth ?? 0));
        var offered = hold * arrivals;
        var sized = offered + (StaffingMargin * Math.Sqrt(offered)) + (hold * queued / drainSeconds);
        var steadyQueue = growth is { } g && Math.Abs(g) * drainSeconds < queued && b >= currentMinThreads
            && arrivals >= SteadyDemandShare * b / hold;
        return CeilToInt(steadyQueue ? Math.Max(sized, b + queued) : sized);
    }

    /// <summary>Square-root staffing's β: threads = offered load + β × √(offered load).</summary>
    public const double StaffingMargin = 2;

    /// <summary>Arrivals at least this share of what the busy threads can serve: the pool has no headroom to drain a queue with.</summary>
    public const double SteadyDemandShare = 0.9;

    /// <summary>How long the sizing rule gives a starved pod's backlog to drain: two loop intervals.</summary>
    public static TimeSpan DrainTime(AutoscalerPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return 2 * policy.PodSignalInterval;
    }

    /// <summary>
    /// The min-threads decision, from every running pod's control-port reading. Starved pods are sized at
    /// once; lowering waits for the scale-down window and a fresh reading from every pod.
    /// </summary>
    public static DecisionOutcome DecideMinThreads(DecisionInput input, RecommendationHistory history)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(history);
        var policy = input.Policy;
        var current = input.CurrentMinThreads;
        var readings = Readings.Of(input, policy.PodSignalMaxAge);

        // Bounds come before signals, as in the HPA: a spec change is corrected even without data.
        var bounded = Math.Clamp(current, policy.MinThreadsBaseline, policy.MinThreadsMax);
        if (bounded != current)
        {
            var (boundReason, bound) = current < policy.MinThreadsBaseline
                ? (DecisionReasons.BelowMinThreadsBaseline, Invariant($"min threads {current} are below spec.minThreads.baseline ({policy.MinThreadsBaseline})"))
                : (DecisionReasons.AboveMinThreadsMax, Invariant($"min threads {current} are above spec.minThreads.max ({policy.MinThreadsMax})"));
            return new DecisionOutcome(MinThreadsDecision(input, readings, readings.MinThreadsRegime(), bounded, boundReason, $"{bound}: {MinThreadsChange(current, bounded)}", []), history);
        }

        // Never act on absent or stale data; a hold records nothing, so it cannot sway later decisions.
        if (readings.Usable.Count == 0)
        {
            return new DecisionOutcome(Hold(input, readings, policy.PodSignalMaxAge), history);
        }

        var pruned = history.Prune(input.Now, TimeSpan.Zero, policy.ScaleDownStabilizationWindow, policy.ScaleUpPeriod);
        var starved = readings.Usable.Where(j => j.Cause == PodCause.Starved).ToList();
        var unread = readings.Missing.Count + readings.Stale.Count;
        var unreadNote = unread > 0 ? Invariant($" ({unread} pod{Plural(unread)} without a fresh reading not counted)") : "";
        var limits = new List<Limit>();
        int recommendation, desired;
        string primaryReason, cause;
        if (starved.Count > 0)
        {
            var neediest = starved.MaxBy(j => j.NeededMinThreads)!;
            var needed = neediest.NeededMinThreads!.Value;
            cause = Invariant($"{Evidence(policy, starved)}{unreadNote}; {Sizing(input, neediest)}");
            recommendation = Math.Max(current, needed);
            if (recommendation > policy.MinThreadsMax)
            {
                recommendation = policy.MinThreadsMax;
                limits.Add(new Limit(DecisionReasons.AtMaxMinThreads, Invariant($"spec.minThreads.max is {policy.MinThreadsMax}")));
            }
            // Raising acts at once: a starved pool needs its threads now.
            desired = recommendation;
            primaryReason = needed > current ? DecisionReasons.Starvation : DecisionReasons.StarvationDraining;
            if (needed <= current)
            {
                cause += Invariant($"; min threads {current} already cover that: the pool is creating threads and the backlog drains");
            }
        }
        else
        {
            var saturated = readings.Usable.Where(j => j.Cause == PodCause.Saturated).ToList();
            var inUse = readings.UsableSignals.Select(p => Finite(p.BusyThreads) ?? Finite(p.ThreadCount)).ToList();
            var used = inUse.OfType<double>().DefaultIfEmpty(0).Max();
            // A pod that does not say how many threads it uses is as unknown, for lowering, as one that said nothing.
            var unknown = unread + inUse.Count(u => u is null);
            var sized = Math.Max(policy.MinThreadsBaseline, CeilToInt(used * InUseHeadroom));
            var lowers = sized < current && sized * 2 <= current;
            primaryReason = saturated.Count > 0 ? DecisionReasons.Saturation : DecisionReasons.Idle;
            cause = saturated.Count > 0
                ? Invariant($"{Names(saturated)} at or above the CPU target ({Percent(policy.TargetCpuUtilization)} % of request) and no pod starved: more threads cannot add cores")
                : Invariant($"no pod starved; the busiest uses {used:0.#} threads");
            if (lowers && unknown > 0)
            {
                recommendation = current;
                limits.Add(new Limit(DecisionReasons.PodsUnread,
                    Invariant($"lowering needs every pod's threads in use; {unknown} of {input.Pods.Count} pod{Plural(input.Pods.Count)} did not report them")));
            }
            else if (lowers)
            {
                recommendation = sized;
            }
            else
            {
                recommendation = current;
                if (sized < current)
                {
                    limits.Add(new Limit(DecisionReasons.MinThreadsInUse,
                        Invariant($"{sized} ({InUseHeadroom:0.#}× the {used:0.#} in use) is more than half of {current}: kept")));
                }
            }

            var stabilized = pruned.Stabilize(current, recommendation, input.Now, TimeSpan.Zero, policy.ScaleDownStabilizationWindow);
            if (stabilized > recommendation)
            {
                limits.Add(new Limit(DecisionReasons.ScaleDownStabilized, Window(pruned, policy, input.Now, "lowering to " + recommendation.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }
            desired = Math.Clamp(stabilized, policy.MinThreadsBaseline, policy.MinThreadsMax);
        }

        var reason = limits.Count > 0 ? limits[^1].Reason : primaryReason;
        var message = Compose(cause, limits, MinThreadsChange(current, desired));
        var decision = MinThreadsDecision(input, readings, readings.MinThreadsRegime(), desired, reason, message, limits);
        return new DecisionOutcome(decision, pruned.With(new TimedRecommendation(input.Now, recommendation), null));
    }

    /// <summary>
    /// The replica decision, the HPA's way, from the ready pods' signals over Prometheus windows: the ratio
    /// of average CPU to its target, a tolerance band, bounds, stabilisation and a scale-up limit per period.
    /// </summary>
    public static DecisionOutcome DecideReplicas(DecisionInput input, RecommendationHistory history)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(history);
        var policy = input.Policy;
        var current = input.CurrentReplicas;
        var readings = Readings.Of(input, policy.MaxStaleness);

        var bounded = Math.Clamp(current, policy.MinReplicas, policy.MaxReplicas);
        if (bounded != current)
        {
            var (boundReason, bound) = current < policy.MinReplicas
                ? (DecisionReasons.BelowMinReplicas, Invariant($"replicas {current} are below spec.replicas.min ({policy.MinReplicas})"))
                : (DecisionReasons.AboveMaxReplicas, Invariant($"replicas {current} are above spec.replicas.max ({policy.MaxReplicas})"));
            var corrected = ReplicaDecision(input, readings, readings.ReplicaRegime(policy), bounded, boundReason, $"{bound}: {ReplicasChange(current, bounded)}", []);
            // Added pods count against the scale-up limit like any others; no recommendation is recorded.
            var withScaleUp = bounded > current ? history with { ScaleUps = history.ScaleUps.Add(new ScaleUpEvent(input.Now, bounded - current)) } : history;
            return new DecisionOutcome(corrected, withScaleUp);
        }

        // The HPA holds when pods lack metrics in a way that could flip the direction; this loop holds on any gap.
        if (readings.Missing.Count > 0 || readings.Stale.Count > 0 || readings.Usable.Count == 0)
        {
            return new DecisionOutcome(Hold(input, readings, policy.MaxStaleness), history);
        }

        var pruned = history.Prune(input.Now, policy.ScaleUpStabilizationWindow, policy.ScaleDownStabilizationWindow, policy.ScaleUpPeriod);
        var regime = readings.ReplicaRegime(policy);
        var cpu = readings.Signals.CpuUtilization!.Value;
        var ratio = cpu / policy.TargetCpuUtilization;
        var withinTolerance = Math.Abs(ratio - 1) <= policy.Tolerance + Slack;
        var pods = readings.Usable.Count;
        var average = Invariant($"average CPU {Percent(cpu)} % of request over {pods} pod{Plural(pods)} (target {Percent(policy.TargetCpuUtilization)} %)");
        var limits = new List<Limit>();

        // Like the HPA, the ratio applies to the pods that reported (the ready ones): pods still starting
        // carry no load yet and would otherwise be counted as if they were as busy as the rest.
        int proposed;
        string primaryReason, cause;
        if (withinTolerance)
        {
            (proposed, primaryReason, cause) = (current, DecisionReasons.WithinTolerance, Invariant($"{average} is within the {Percent(policy.Tolerance)} % tolerance"));
        }
        else if (ratio > 1)
        {
            proposed = Math.Max(current, CeilToInt(pods * ratio));
            (primaryReason, cause) = (DecisionReasons.Saturation, Invariant($"{average} is above target: {proposed} replicas would bring it to target"));
        }
        else if (regime == Regime.Starvation)
        {
            // Starving pods show low CPU because their threads are blocked: that is no reason to remove pods.
            (proposed, primaryReason, cause) = (current, DecisionReasons.Starvation,
                Invariant($"{average} is below target, but {Names(readings.Usable.Where(j => j.Cause == PodCause.Starved))} starve: blocked threads, not idle ones, keep the CPU low"));
        }
        else
        {
            proposed = Math.Min(current, CeilToInt(pods * ratio));
            (primaryReason, cause) = (DecisionReasons.Idle, Invariant($"{average} is below target: {proposed} replicas would carry the load"));
        }

        var recommended = proposed;
        if (proposed > policy.MaxReplicas)
        {
            recommended = policy.MaxReplicas;
            limits.Add(new Limit(DecisionReasons.AtMaxReplicas, Invariant($"spec.replicas.max is {policy.MaxReplicas}")));
        }
        else if (proposed < policy.MinReplicas)
        {
            recommended = policy.MinReplicas;
            limits.Add(new Limit(DecisionReasons.AtMinReplicas, Invariant($"spec.replicas.min is {policy.MinReplicas}")));
        }

        var stabilized = pruned.Stabilize(current, recommended, input.Now, policy.ScaleUpStabilizationWindow, policy.ScaleDownStabilizationWindow);
        if (stabilized > recommended)
        {
            limits.Add(new Limit(DecisionReasons.ScaleDownStabilized, Window(pruned, policy, input.Now, Invariant($"scaling in to {recommended}"))));
        }
        else if (stabilized < recommended)
        {
            limits.Add(new Limit(DecisionReasons.ScaleUpStabilized,
                Invariant($"a lower recommendation is inside the scale-up stabilisation window ({policy.ScaleUpStabilizationWindow.TotalSeconds} s)")));
        }

        var desired = stabilized;
        if (stabilized > current)
        {
            var added = pruned.AddedWithin(policy.ScaleUpPeriod, input.Now);
            var limit = ScaleUpLimit(policy, current, added);
            if (stabilized > limit)
            {
                desired = Math.Max(current, limit);
                limits.Add(new Limit(DecisionReasons.ScaleUpLimited, Invariant(
                    $"at most {policy.ScaleUpLimitPercent} % or {policy.ScaleUpLimitPods} pods per {policy.ScaleUpPeriod.TotalSeconds} s ({added} added in this period)")));
            }
        }

        desired = Math.Clamp(desired, policy.MinReplicas, policy.MaxReplicas);
        var reason = limits.Count > 0 ? limits[^1].Reason : primaryReason;
        var decision = ReplicaDecision(input, readings, regime, desired, reason, Compose(cause, limits, ReplicasChange(current, desired)), limits);
        var updated = pruned.With(new TimedRecommendation(input.Now, recommended), desired > current ? new ScaleUpEvent(input.Now, desired - current) : null);
        return new DecisionOutcome(decision, updated);
    }

    /// <summary>The HPA's default scale-up rule: per period, the larger of a percentage and a pod count, counted from the period's start.</summary>
    private static int ScaleUpLimit(AutoscalerPolicy policy, int currentReplicas, int addedInPeriod)
    {
        var periodStart = Math.Max(0, currentReplicas - addedInPeriod);
        var byPercent = (periodStart * policy.ScaleUpLimitPercent + 99) / 100;
        return periodStart + Math.Max(byPercent, policy.ScaleUpLimitPods);
    }

    private static Decision MinThreadsDecision(DecisionInput input, Readings readings, Regime regime, int desired, string reason, string message, IReadOnlyList<Limit> limits) =>
        new(regime, ReplicaAction.None, ActionFor(input.CurrentMinThreads, desired, MinThreadsAction.None, MinThreadsAction.Raise, MinThreadsAction.Lower),
            input.CurrentReplicas, desired, reason, message, readings.Signals, limits);

    private static Decision ReplicaDecision(DecisionInput input, Readings readings, Regime regime, int desired, string reason, string message, IReadOnlyList<Limit> limits) =>
        new(regime, ActionFor(input.CurrentReplicas, desired, ReplicaAction.None, ReplicaAction.ScaleUp, ReplicaAction.ScaleDown), MinThreadsAction.None,
            desired, input.CurrentMinThreads, reason, message, readings.Signals, limits);

    private static Decision Hold(DecisionInput input, Readings readings, TimeSpan maxAge)
    {
        var holding = Invariant($"holding replicas at {input.CurrentReplicas} and min threads at {input.CurrentMinThreads}");
        var pods = input.Pods.Count;
        var (reason, message) = pods == 0
            ? (DecisionReasons.MetricsMissing, $"no pod reported signals: {holding}")
            : readings.Stale.Count > 0 && readings.Missing.Count == 0
                ? (DecisionReasons.MetricsStale, Invariant($"signals of {readings.Stale.Count} of {pods} pods ({string.Join(", ", readings.Stale)}) are older than {maxAge.TotalSeconds} s: {holding}"))
                : (DecisionReasons.MetricsMissing, Invariant($"{readings.Missing.Count + readings.Stale.Count} of {pods} pods ({string.Join(", ", readings.Missing.Concat(readings.Stale))}) have no fresh, complete signals: {holding}"));
        return new Decision(Regime.Unknown, ReplicaAction.None, MinThreadsAction.None, input.CurrentReplicas, input.CurrentMinThreads, reason, message, readings.Signals, []);
    }

    private static string Compose(string cause, IReadOnlyList<Limit> limits, string effect) =>
        string.Concat(cause, string.Concat(limits.Select(l => "; " + l.Message)), ": ", effect);

    private static string Evidence(AutoscalerPolicy policy, IReadOnlyList<PodJudgement> starved)
    {
        var worst = starved.MaxBy(j => j.NeededMinThreads)!;
        var evidence = new List<string>();
        if (worst.SchedulingDelaySeconds > policy.StarvationSchedulingDelay.TotalSeconds)
        {
            evidence.Add(Invariant($"scheduling delay {Milliseconds(worst.SchedulingDelaySeconds!.Value)} ms > {Milliseconds(policy.StarvationSchedulingDelay.TotalSeconds)} ms"));
        }

        if (worst.QueueLength > policy.StarvationQueueLength)
        {
            evidence.Add(Invariant($"queue {worst.QueueLength!.Value:0.#} > {policy.StarvationQueueLength:0.#}"));
        }

        var others = starved.Count > 1 ? Invariant($" (and {starved.Count - 1} more starved pod{Plural(starved.Count - 1)})") : "";
        return Invariant($"{worst.Pod} starves: {string.Join(" and ", evidence)} with CPU {Percent(worst.CpuUtilization!.Value)} % of request (target {Percent(policy.TargetCpuUtilization)} %){others}");
    }

    private static string Sizing(DecisionInput input, PodJudgement neediest)
    {
        var signals = input.Pods.First(p => p.Pod == neediest.Pod);
        var busy = Finite(signals.BusyThreads) ?? Finite(signals.ThreadCount);
        var completed = Finite(signals.WorkItemRate);
        var request = Finite(signals.MeanRequestSeconds) is { } r ? Invariant($", requests take {r * 1000:0} ms") : "";
        return busy is null
            ? Invariant($"its busy threads are unknown: it needs twice the current value, {neediest.NeededMinThreads}")
            : completed is > 0
                ? Invariant($"{busy:0} busy threads complete {completed:0.#} work items/s{request}, {signals.QueueLength ?? 0:0} queued (growing {signals.QueueGrowthRate ?? 0:0.#}/s): it needs {neediest.NeededMinThreads} to keep up with a margin and drain the queue within {DrainTime(input.Policy).TotalSeconds:0.#} s")
                : Invariant($"no work item completed in a whole interval, so each of the {signals.QueueLength ?? 0:0} queued gets a thread: it needs {neediest.NeededMinThreads}");
    }

    private static string Window(RecommendationHistory history, AutoscalerPolicy policy, DateTimeOffset now, string what) =>
        history.ObservedPartOf(policy.ScaleDownStabilizationWindow, now) is { } observed
            ? Invariant($"{what} waits for a whole scale-down window of recommendations ({observed.TotalSeconds:0} s of {policy.ScaleDownStabilizationWindow.TotalSeconds} s observed)")
            : Invariant($"{what} waits: a higher recommendation is inside the scale-down window ({policy.ScaleDownStabilizationWindow.TotalSeconds} s)");

    private static string MinThreadsChange(int current, int desired) =>
        current == desired ? Invariant($"min threads stay at {current}") : Invariant($"min threads {current} -> {desired}");

    private static string ReplicasChange(int current, int desired) =>
        current == desired ? Invariant($"replicas stay at {current}") : Invariant($"replicas {current} -> {desired}");

    private static string Names(IEnumerable<PodJudgement> pods)
    {
        var names = pods.Select(p => p.Pod).ToList();
        return names.Count <= 3 ? string.Join(", ", names) : Invariant($"{string.Join(", ", names.Take(3))} and {names.Count - 3} more");
    }

    private static string Plural(int count) => count == 1 ? "" : "s";

    private static string Percent(double fraction) => Invariant($"{fraction * 100:0.#}");

    private static string Milliseconds(double seconds) => Invariant($"{seconds * 1000:0}");

    private static TAction ActionFor<TAction>(int current, int desired, TAction none, TAction up, TAction down) =>
        desired > current ? up : desired < current ? down : none;

    // The slack keeps a product such as 3 × 1.6666666666666667 = 5.000000000000001 at 5 pods, not 6.
    private static int CeilToInt(double value) => value >= int.MaxValue ? int.MaxValue : (int)Math.Ceiling(value - Slack);

    // NaN (an empty histogram_quantile, for one) or infinity is no measurement at all.
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>The pods sorted into usable, missing and stale, each judged, and the aggregate of the usable ones.</summary>
    private sealed record Readings(
        IReadOnlyList<PodJudgement> Usable,
        IReadOnlyList<PodSignals> UsableSignals,
        IReadOnlyList<string> Missing,
        IReadOnlyList<string> Stale,
        DecisionSignals Signals)
    {
        /// <summary>For replicas the average CPU decides first, as in the HPA.</summary>
        public Regime ReplicaRegime(AutoscalerPolicy policy) =>
            Usable.Count == 0 ? Decisions.Regime.Unknown
            : Signals.CpuUtilization >= policy.TargetCpuUtilization - Slack ? Decisions.Regime.Saturation
            : Usable.Any(j => j.Cause == PodCause.Starved) ? Decisions.Regime.Starvation
            : Decisions.Regime.Normal;

        /// <summary>For min threads any starved pod decides first: its cause was judged on its own CPU.</summary>
        public Regime MinThreadsRegime() =>
            Usable.Count == 0 ? Decisions.Regime.Unknown
            : Usable.Any(j => j.Cause == PodCause.Starved) ? Decisions.Regime.Starvation
            : Usable.Any(j => j.Cause == PodCause.Saturated) ? Decisions.Regime.Saturation
            : Decisions.Regime.Normal;

        public static Readings Of(DecisionInput input, TimeSpan maxAge)
        {
            var usable = new List<PodJudgement>();
            var usableSignals = new List<PodSignals>();
            var judged = new List<PodJudgement>();
            var missing = new List<string>();
            var stale = new List<string>();
            foreach (var pod in input.Pods)
            {
                if (pod.SampleTime is { } sampled && input.Now - sampled > maxAge)
                {
                    stale.Add(pod.Pod);
                    judged.Add(new PodJudgement(pod.Pod, PodCause.NoData, null, null, null, null));
                    continue;
                }
                var judgement = pod.SampleTime is null
                    ? new PodJudgement(pod.Pod, PodCause.NoData, null, null, null, null)
                    : Judge(input.Policy, pod, input.CurrentMinThreads);
                judged.Add(judgement);
                if (judgement.Cause == PodCause.NoData)
                {
                    missing.Add(pod.Pod);
                }
                else
                {
                    usable.Add(judgement);
                    usableSignals.Add(pod);
                }
            }

            var signals = new DecisionSignals(
                CpuUtilization: Aggregate(usableSignals, p => p.CpuUtilization, values => values.Average()),
                SchedulingDelaySeconds: Aggregate(usableSignals, p => p.SchedulingDelaySeconds, values => values.Max()),
                QueueLength: Aggregate(usableSignals, p => p.QueueLength, values => values.Max()),
                ThreadCount: Aggregate(usableSignals, p => p.ThreadCount, values => values.Max()),
                RequestRate: Aggregate(usableSignals, p => p.RequestRate, values => values.Sum()),
                LatencyP95Seconds: Aggregate(usableSignals, p => p.LatencyP95Seconds, values => values.Max()),
                PodsWithData: usable.Count)
            {
                Pods = judged,
            };
            return new Readings(usable, usableSignals, missing, stale, signals);
        }

        private static double? Aggregate(List<PodSignals> pods, Func<PodSignals, double?> select, Func<IEnumerable<double>, double> combine)
        {
            var values = pods.Select(p => Finite(select(p))).OfType<double>().ToList();
            return values.Count == 0 ? null : combine(values);
        }
    }
}
