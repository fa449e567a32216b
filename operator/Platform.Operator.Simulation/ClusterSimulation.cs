using Platform.Operator.Decisions;

namespace Platform.Operator.Simulation;

/// <summary>A simulated Deployment, its load and (optionally) the operator's control loop.</summary>
internal sealed record SimulationOptions
{
    public required AutoscalerPolicy Policy { get; init; }

    public required IReadOnlyList<LoadSegment> Load { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>False: no decisions at all, the pods keep the runtime's default min threads (the baseline to beat).</summary>
    public bool OperatorEnabled { get; init; } = true;

    public int InitialReplicas { get; init; } = 2;

    public int CoresPerPod { get; init; } = 2;

    public double CpuRequestCores { get; init; } = 1;

    public TimeSpan Step { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The range of the rate() and quantile queries.</summary>
    public TimeSpan SignalWindow { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>From scale-up to a new pod taking traffic.</summary>
    public TimeSpan PodStartup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A new pod has no rate() until it has been scraped twice; until then its metrics are absent.</summary>
    public TimeSpan FirstMetricsAfter { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public ArrivalProcess Arrivals { get; init; } = ArrivalProcess.Poisson;

    public int Seed { get; init; } = 1;

    public IReadOnlyList<SignalOutage> Outages { get; init; } = [];
}

/// <summary>
/// A deterministic, discrete-time simulation of pods, their thread pools and load, driven by the real
/// <see cref="ScalingDecider"/> in its two loops: every pod-signal interval it reads each pod's control
/// port and decides min threads (applied at once to the pods that answered); every evaluation interval it
/// computes each ready pod's signals the way Prometheus would and decides replicas (applied after a
/// start-up delay).
/// </summary>
internal static class ClusterSimulation
{
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SimulationResult Run(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var run = new SimulationRun(options);
        return run.Execute();
    }

    private sealed class SimulationRun(SimulationOptions options)
    {
        private readonly Random _random = new(options.Seed);
        private readonly List<SimulatedPod> _pods = [];
        private readonly Dictionary<string, PodSignals> _lastReported = [];
        private readonly double[] _arrivalCredit = new double[options.Load.Count];
        private readonly List<SimulationSecond> _seconds = [];
        private readonly List<SimulationEvaluation> _evaluations = [];
        private readonly long _stepMs = (long)options.Step.TotalMilliseconds;
        private RecommendationHistory _replicaHistory = RecommendationHistory.Empty;
        private RecommendationHistory _minThreadsHistory = RecommendationHistory.Empty;
        private int _replicas = options.InitialReplicas;
        private int? _minThreads;
        private int _podNumber;
        private int _nextPod;

        public SimulationResult Execute()
        {
            for (var i = 0; i < options.InitialReplicas; i++)
            {
                AddPod(0, readyMs: 0);
            }

            var durationMs = (long)options.Duration.TotalMilliseconds;
            var probeMs = (long)options.ProbeInterval.TotalMilliseconds;
            var evaluationMs = (long)options.EvaluationInterval.TotalMilliseconds;
            var podSignalMs = (long)options.Policy.PodSignalInterval.TotalMilliseconds;
            var keepMs = (long)options.SignalWindow.TotalMilliseconds + 2000;
            for (long now = 0; now < durationMs; now += _stepMs)
            {
                Arrive(now);
                if (now % probeMs == 0)
                {
                    foreach (var pod in _pods)
                    {
                        pod.EnqueueProbe(now);
                    }
                }

                foreach (var pod in _pods)
                {
                    pod.Step(now, _stepMs);
                }

                var end = now + _stepMs;
                if (end % 1000 == 0)
                {
                    RecordSecond(end);
                    foreach (var pod in _pods)
                    {
                        pod.Forget(end - keepMs);
                    }
                }

                if (options.OperatorEnabled && end % podSignalMs == 0)
                {
                    EvaluateMinThreads(end, podSignalMs);
                }

                if (options.OperatorEnabled && end % evaluationMs == 0)
                {
                    EvaluateReplicas(end);
                }
            }

            return new SimulationResult(options, _seconds, _evaluations);
        }

        private void Arrive(long nowMs)
        {
            var ready = _pods.Where(p => p.IsReady(nowMs)).ToList();
            var time = TimeSpan.FromMilliseconds(nowMs);
            for (var segment = 0; segment < options.Load.Count; segment++)
            {
                var load = options.Load[segment];
                var expected = load.RateAt(time) * _stepMs / 1000.0;
                int count;
                if (options.Arrivals == ArrivalProcess.Deterministic)
                {
                    _arrivalCredit[segment] += expected;
                    count = (int)_arrivalCredit[segment];
                    _arrivalCredit[segment] -= count;
                }
                else
                {
                    count = Poisson(expected);
                }

                // Round-robin over ready pods, as a Service spreads connections.
                for (var i = 0; i < count && ready.Count > 0; i++)
                {
                    ready[_nextPod++ % ready.Count].Enqueue(nowMs, load.Shape);
                }
            }
        }

        private void EvaluateMinThreads(long nowMs, long intervalMs)
        {
            var ready = _pods.Where(p => p.IsReady(nowMs)).ToList();
            var signals = ready.Select(p => Outage(nowMs) is { } outage ? Absent(p, outage) : p.ControlPortSignals(nowMs, intervalMs)).ToList();
            // As the operator does: a (re)started loop adopts the highest value a pod reports.
            var reported = signals.Where(s => s.SampleTime is not null).Select(s => s.MinWorkerThreads).Max();
            var current = _minThreads ?? reported ?? options.Policy.MinThreadsBaseline;
            var input = new DecisionInput(options.Policy, signals, _replicas, current, Epoch.AddMilliseconds(nowMs));
            var outcome = ScalingDecider.DecideMinThreads(input, _minThreadsHistory);
            _minThreadsHistory = outcome.History;
            var decision = outcome.Decision;
            _evaluations.Add(new SimulationEvaluation(TimeSpan.FromMilliseconds(nowMs), SimulationLoop.MinThreads, _replicas, current, decision));
            if (decision.Holds || reported is null)
            {
                return;
            }

            // Pushed to every pod that answered and holds another value, so restarted and new pods catch up.
            _minThreads = decision.DesiredMinThreads;
            foreach (var (pod, reading) in ready.Zip(signals))
            {
                if (reading.SampleTime is not null && pod.MinThreads != _minThreads)
                {
                    pod.SetMinThreads(_minThreads.Value);
                }
            }
        }

        private void EvaluateReplicas(long nowMs)
        {
            var signals = _pods.Where(p => p.IsReady(nowMs)).Select(p => SignalsOf(p, nowMs)).ToList();
            var current = _minThreads ?? options.Policy.MinThreadsBaseline;
            var input = new DecisionInput(options.Policy, signals, _replicas, current, Epoch.AddMilliseconds(nowMs));
            var outcome = ScalingDecider.DecideReplicas(input, _replicaHistory);
            _replicaHistory = outcome.History;
            var decision = outcome.Decision;
            _evaluations.Add(new SimulationEvaluation(TimeSpan.FromMilliseconds(nowMs), SimulationLoop.Replicas, _replicas, current, decision));

            _replicas = decision.DesiredReplicas;
            while (_pods.Count < _replicas)
            {
                AddPod(nowMs, nowMs + (long)options.PodStartup.TotalMilliseconds);
            }

            while (_pods.Count > _replicas)
            {
                // As a ReplicaSet does: pods that are not ready yet go first, then the newest.
                var victim = _pods.LastOrDefault(p => !p.IsReady(nowMs)) ?? _pods[^1];
                _pods.Remove(victim);
            }
        }

        private SignalOutage? Outage(long nowMs) =>
            options.Outages.FirstOrDefault(o => nowMs >= o.Start.TotalMilliseconds && nowMs < o.End.TotalMilliseconds);

        private PodSignals Absent(SimulatedPod pod, SignalOutage outage) =>
            outage.Kind == SignalOutageKind.Frozen
                ? _lastReported.GetValueOrDefault(pod.Name, new PodSignals(pod.Name, null, null, null, null, null, null, null, null))
                : new PodSignals(pod.Name, null, null, null, null, null, null, null, null);

        private PodSignals SignalsOf(SimulatedPod pod, long nowMs)
        {
            if (Outage(nowMs) is { } outage)
            {
                return Absent(pod, outage);
            }

            if (nowMs - pod.ReadyMs < options.FirstMetricsAfter.TotalMilliseconds)
            {
                return new PodSignals(pod.Name, null, null, null, null, null, null, null, null);
            }

            var signals = pod.Signals(nowMs, (long)options.SignalWindow.TotalMilliseconds);
            _lastReported[pod.Name] = signals;
            return signals;
        }

        private void RecordSecond(long nowMs)
        {
            var ready = _pods.Where(p => p.IsReady(nowMs)).ToList();
            var latencies = ready.SelectMany(p => p.LatenciesMs(nowMs - 1000, nowMs)).ToList();
            _seconds.Add(new SimulationSecond(
                TimeSpan.FromMilliseconds(nowMs),
                _replicas,
                ready.Count,
                ready.Count > 0 ? ready.Max(p => p.MinThreads) : 0,
                ready.Count > 0 ? ready.Max(p => p.CurrentSchedulingDelayMs(nowMs)) : 0,
                ready.Count > 0 ? ready.Max(p => p.ThreadCount) : 0,
                latencies.Count > 0 ? SimulatedPod.Percentile(latencies, 0.95) : null,
                latencies.Count > 0 ? SimulatedPod.Percentile(latencies, 0.99) : null,
                ready.Sum(p => p.QueueLength),
                ready.Count > 0 ? ready.Average(p => p.Signals(nowMs, 1000).CpuUtilization ?? 0) : 0,
                ready.Count > 0 ? ready.Max(p => p.BusyThreads) : 0));
        }

        private void AddPod(long nowMs, long readyMs) =>
            _pods.Add(new SimulatedPod($"pod-{++_podNumber}", options.CoresPerPod, options.CpuRequestCores, nowMs, readyMs));

        // Knuth's method: exact and quick for the few arrivals one step sees; a normal approximation beyond.
        private int Poisson(double mean)
        {
            if (mean <= 0)
            {
                return 0;
            }

            if (mean > 30)
            {
                var normal = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
                return Math.Max(0, (int)Math.Round(mean + (Math.Sqrt(mean) * normal)));
            }

            var limit = Math.Exp(-mean);
            var count = 0;
            for (var product = _random.NextDouble(); product > limit; product *= _random.NextDouble())
            {
                count++;
            }

            return count;
        }
    }
}
