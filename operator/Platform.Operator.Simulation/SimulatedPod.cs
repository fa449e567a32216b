using Platform.Operator.Decisions;

namespace Platform.Operator.Simulation;

/// <summary>
/// One pod and its .NET thread pool, at the level the operator cares about: min threads, a thread goal,
/// the gate thread's slow starvation injection, idle threads retiring, a FIFO global queue, cores shared
/// by the threads that compute, and the scheduling-delay probe the API runs. Hill climbing and
/// cooperative blocking (both only ever add threads sooner) are not modelled, so the runtime alone does at least as well
/// here as with the gate thread alone.
/// </summary>
internal sealed class SimulatedPod
{
    // PortableThreadPool.GateThread: a tick every 500 ms; below 80 % CPU a queue that waits gets a thread per tick.
    private const long GateIntervalMs = 500;
    private const double GateCpuThreshold = 0.8;
    private const long ThreadIdleTimeoutMs = 20_000;
    // The API's probe bounds the probes that can pile up in a starved pool.
    private const int MaxOutstandingProbes = 600;
    // Counters are sampled this often: the finest interval a loop can read them at.
    private const long CounterIntervalMs = 250;

    private readonly Queue<WorkItem> _queue = new();
    private readonly Queue<long> _outstandingProbes = new();
    private readonly List<Worker> _busy = [];
    // Most recently idle last: the pool wakes the latest waiter, so surplus threads stay idle and retire.
    private readonly List<Worker> _idle = [];
    private readonly List<(long Time, double DelayMs)> _probeDelays = [];
    private readonly List<(long Time, double LatencyMs, double ServiceMs)> _completions = [];
    private readonly List<(long Time, double CpuMs, double QueueIntegral, long Completed, int Queued)> _counters = [];
    private long _completedItems;
    private double _cpuUsedMs;
    private double _cpuAtLastGateMs;
    private double _queueIntegral;
    private long _lastInjectionMs;

    public SimulatedPod(string name, int cores, double cpuRequestCores, long createdMs, long readyMs)
    {
        Name = name;
        Cores = cores;
        CpuRequestCores = cpuRequestCores;
        ReadyMs = readyMs;
        // The runtime's default: min threads = ProcessorCount.
        MinThreads = cores;
        Goal = cores;
        _counters.Add((createdMs, 0, 0, 0, 0));
    }

    public string Name { get; }

    public int Cores { get; }

    public double CpuRequestCores { get; }

    public long ReadyMs { get; }

    public int MinThreads { get; private set; }

    /// <summary>The pool's NumThreadsGoal: threads it may run work on right now.</summary>
    public int Goal { get; private set; }

    public int ThreadCount => _busy.Count + _idle.Count;

    public int QueueLength => _queue.Count;

    public int BusyThreads => _busy.Count;

    public bool IsReady(long nowMs) => nowMs >= ReadyMs;

    /// <summary>ThreadPool.SetMinThreads: the goal rises at once; no thread is created until work needs it.</summary>
    public void SetMinThreads(int minThreads)
    {
        MinThreads = minThreads;
        Goal = Math.Max(Goal, minThreads);
    }

    public void Enqueue(long nowMs, RequestShape shape) =>
        _queue.Enqueue(new WorkItem(nowMs, shape.Blocking.TotalMilliseconds, shape.Cpu.TotalMilliseconds, isProbe: false));

    public void EnqueueProbe(long nowMs)
    {
        if (_outstandingProbes.Count < MaxOutstandingProbes)
        {
            _outstandingProbes.Enqueue(nowMs);
            _queue.Enqueue(new WorkItem(nowMs, 0, 0, isProbe: true));
        }
    }

    /// <summary>Advances the pod by one step: hand queued work to threads, run it, let the gate thread and idle timeouts act.</summary>
    public void Step(long nowMs, long stepMs)
    {
        Dispatch(nowMs);
        Run(nowMs, stepMs);
        _queueIntegral += _queue.Count * (double)stepMs;
        var end = nowMs + stepMs;
        if (end % GateIntervalMs == 0)
        {
            Gate(end);
        }

        RetireIdleThreads(end);
        if (end % CounterIntervalMs == 0)
        {
            _counters.Add((end, _cpuUsedMs, _queueIntegral, _completedItems, _queue.Count));
        }
    }

    /// <summary>What Prometheus would report for this pod over the window ending now (a sample taken now).</summary>
    public PodSignals Signals(long nowMs, long windowMs)
    {
        var fromMs = Math.Max(nowMs - windowMs, ReadyMs);
        var start = CounterAt(fromMs);
        var spanMs = nowMs - start.Time;
        var delays = _probeDelays.Where(p => p.Time > fromMs && p.Time <= nowMs).Select(p => p.DelayMs).ToList();
        var latencies = _completions.Where(c => c.Time > fromMs && c.Time <= nowMs).Select(c => c.LatencyMs).ToList();
        return new PodSignals(
            Name,
            ClusterSimulation.Epoch.AddMilliseconds(nowMs),
            CpuUtilization: spanMs > 0 ? (_cpuUsedMs - start.CpuMs) / (spanMs * CpuRequestCores) : null,
            SchedulingDelaySeconds: delays.Count > 0 ? Percentile(delays, 0.90) / 1000 : null,
            QueueLength: spanMs > 0 ? (_queueIntegral - start.QueueIntegral) / spanMs : null,
            ThreadCount: ThreadCount,
            RequestRate: spanMs > 0 ? latencies.Count * 1000.0 / spanMs : null,
            LatencyP95Seconds: latencies.Count > 0 ? Percentile(latencies, 0.95) / 1000 : null,
            MinWorkerThreads: MinThreads);
    }

    /// <summary>
    /// What the pod's control port would give the min-threads loop now, rates over the last
    /// <paramref name="intervalMs"/>: CPU, the scheduling delay (the worst of the probes that ran and the
    /// oldest still waiting), queue and thread counts now, busy threads, work items completed and queue growth.
    /// </summary>
    public PodSignals ControlPortSignals(long nowMs, long intervalMs)
    {
        var start = CounterAt(Math.Max(nowMs - intervalMs, ReadyMs));
        var seconds = (nowMs - start.Time) / 1000.0;
        var completed = _completions.Where(c => c.Time > start.Time && c.Time <= nowMs).ToList();
        var latencies = completed.Select(c => c.LatencyMs).ToList();
        var waiting = _outstandingProbes.Count > 0 ? nowMs - _outstandingProbes.Peek() : 0;
        var ran = _probeDelays.Where(p => p.Time > start.Time && p.Time <= nowMs).Select(p => p.DelayMs).ToList();
        var delayMs = Math.Max(waiting, ran.Count > 0 ? Percentile(ran, 0.90) : 0);
        return new PodSignals(
            Name,
            ClusterSimulation.Epoch.AddMilliseconds(nowMs),
            CpuUtilization: seconds > 0 ? (_cpuUsedMs - start.CpuMs) / (seconds * 1000 * CpuRequestCores) : null,
            SchedulingDelaySeconds: delayMs / 1000,
            QueueLength: _queue.Count,
            ThreadCount: ThreadCount,
            RequestRate: seconds > 0 ? latencies.Count / seconds : null,
            LatencyP95Seconds: latencies.Count > 0 ? Percentile(latencies, 0.95) / 1000 : null,
            MinWorkerThreads: MinThreads)
        {
            BusyThreads = _busy.Count,
            WorkItemRate = seconds > 0 ? (_completedItems - start.Completed) / seconds : null,
            QueueGrowthRate = seconds > 0 ? (_queue.Count - start.Queued) / seconds : null,
            // What ASP.NET Core's request duration measures: from a thread picking the request up to its end.
            MeanRequestSeconds = completed.Count > 0 ? completed.Average(c => c.ServiceMs) / 1000 : null,
        };
    }

    /// <summary>The scheduling delay a probe queued now would see, near enough: the worst of the last second's probes and the oldest still waiting.</summary>
    public double CurrentSchedulingDelayMs(long nowMs)
    {
        var waiting = _outstandingProbes.Count > 0 ? nowMs - _outstandingProbes.Peek() : 0;
        var recent = _probeDelays.Where(p => p.Time > nowMs - 1000).Select(p => p.DelayMs).DefaultIfEmpty(0).Max();
        return Math.Max(waiting, recent);
    }

    public IEnumerable<double> LatenciesMs(long fromMs, long toMs) => _completions.Where(c => c.Time > fromMs && c.Time <= toMs).Select(c => c.LatencyMs);

    /// <summary>Drops samples no window can reach any more.</summary>
    public void Forget(long beforeMs)
    {
        _probeDelays.RemoveAll(p => p.Time < beforeMs);
        _completions.RemoveAll(c => c.Time < beforeMs);
        var keepFrom = _counters.FindLastIndex(c => c.Time <= beforeMs);
        if (keepFrom > 0)
        {
            _counters.RemoveRange(0, keepFrom);
        }
    }

    private void Dispatch(long nowMs)
    {
        while (_queue.Count > 0)
        {
            Worker worker;
            if (_idle.Count > 0)
            {
                worker = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
            }
            else if (ThreadCount < Goal)
            {
                worker = new Worker();
            }
            else
            {
                return;
            }

            var item = _queue.Dequeue();
            if (item.IsProbe)
            {
                _completedItems++;
                _probeDelays.Add((nowMs, nowMs - _outstandingProbes.Dequeue()));
                worker.IdleSinceMs = nowMs;
                _idle.Add(worker);
                continue;
            }

            item.DispatchedMs = nowMs;
            worker.Item = item;
            _busy.Add(worker);
        }
    }

    private void Run(long nowMs, long stepMs)
    {
        var computing = _busy.Count(w => w.Item!.BlockingRemainingMs <= 0);
        var share = computing == 0 ? 0 : Math.Min(1.0, Cores / (double)computing);
        var end = nowMs + stepMs;
        for (var i = _busy.Count - 1; i >= 0; i--)
        {
            var worker = _busy[i];
            var item = worker.Item!;
            if (item.BlockingRemainingMs > 0)
            {
                item.BlockingRemainingMs -= stepMs;
            }
            else
            {
                var used = Math.Min(item.CpuRemainingMs, stepMs * share);
                item.CpuRemainingMs -= used;
                _cpuUsedMs += used;
            }

            if (item.BlockingRemainingMs <= 0 && item.CpuRemainingMs <= 1e-9)
            {
                _completions.Add((end, end - item.EnqueuedMs, end - item.DispatchedMs));
                _completedItems++;
                worker.Item = null;
                worker.IdleSinceMs = end;
                _busy.RemoveAt(i);
                _idle.Add(worker);
            }
        }
    }

    /// <summary>The gate thread's starvation injection: one thread per tick at low CPU, one per goal × 1 s at high CPU.</summary>
    private void Gate(long nowMs)
    {
        var cpuFraction = (_cpuUsedMs - _cpuAtLastGateMs) / (GateIntervalMs * (double)Cores);
        _cpuAtLastGateMs = _cpuUsedMs;
        if (_queue.Count == 0 || _busy.Count < Goal)
        {
            return;
        }

        if (cpuFraction < GateCpuThreshold || nowMs - _lastInjectionMs >= Goal * 1000L)
        {
            Goal++;
            _lastInjectionMs = nowMs;
        }
    }

    /// <summary>Workers idle for 20 s exit, even below min threads; the goal follows them down, never below min threads.</summary>
    private void RetireIdleThreads(long nowMs)
    {
        while (_idle.Count > 0 && nowMs - _idle[0].IdleSinceMs >= ThreadIdleTimeoutMs)
        {
            _idle.RemoveAt(0);
            Goal = Math.Max(MinThreads, Math.Min(ThreadCount, Goal));
        }
    }

    private (long Time, double CpuMs, double QueueIntegral, long Completed, int Queued) CounterAt(long timeMs)
    {
        var index = _counters.FindLastIndex(c => c.Time <= timeMs);
        return _counters[Math.Max(index, 0)];
    }

    internal static double Percentile(List<double> values, double quantile)
    {
        values.Sort();
        var rank = (int)Math.Ceiling(quantile * values.Count) - 1;
        return values[Math.Clamp(rank, 0, values.Count - 1)];
    }

    private sealed class WorkItem(long enqueuedMs, double blockingMs, double cpuMs, bool isProbe)
    {
        public long EnqueuedMs { get; } = enqueuedMs;

        public double BlockingRemainingMs { get; set; } = blockingMs;

        public double CpuRemainingMs { get; set; } = cpuMs;

        public bool IsProbe { get; } = isProbe;

        public long DispatchedMs { get; set; }
    }

    private sealed class Worker
    {
        public WorkItem? Item { get; set; }

        public long IdleSinceMs { get; set; }
    }
}
