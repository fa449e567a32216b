using System.Diagnostics.Metrics;
using Platform.Api.Connections;

namespace Platform.Api.Telemetry;

/// <summary>The service's own instruments, created once from the DI-owned meter.</summary>
public sealed class PlatformInstruments
{
    // Fine resolution at the low end (a healthy pool answers in microseconds), up to the half-minute
    // waits that a starved pool produces.
    private static readonly double[] SchedulingDelayBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private long _recycledByAge;
    private long _recycledByRequests;

    public PlatformInstruments(IMeterFactory meterFactory)
    {
        var meter = Meter = meterFactory.Create(MetricNames.Meter);

        SchedulingDelay = meter.CreateHistogram<double>(
            MetricNames.SchedulingDelay, "s",
            "Time a probe work item waited in the thread-pool queue before it ran.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SchedulingDelayBuckets });

        WorkloadRequests = meter.CreateCounter<long>(
            MetricNames.WorkloadRequests, "{request}",
            "Workload requests completed, by workload, mode and outcome.");

        AdminChanges = meter.CreateCounter<long>(
            MetricNames.AdminChanges, "{change}",
            "Requests to change thread-pool minimums, by result (applied, rejected, refused).");

        meter.CreateObservableGauge(MetricNames.MinThreads, () => ThreadCounts(ThreadPool.GetMinThreads), "{thread}",
            "Thread-pool minimum threads: the pool creates threads up to this number without delay.");
        meter.CreateObservableGauge(MetricNames.MaxThreads, () => ThreadCounts(ThreadPool.GetMaxThreads), "{thread}",
            "Thread-pool maximum threads.");
        meter.CreateObservableGauge(MetricNames.AvailableThreads, () => ThreadCounts(ThreadPool.GetAvailableThreads), "{thread}",
            "Maximum threads minus threads currently busy.");

        // Observable, so both reasons are served (as 0) from the first scrape: a rate over the counter then
        // also sees the first recycle, and a dashboard can tell "none recycled" from "not exported".
        meter.CreateObservableCounter(MetricNames.ConnectionsRecycled, () => new[]
        {
            new Measurement<long>(Volatile.Read(ref _recycledByAge), new KeyValuePair<string, object?>("reason", "age")),
            new Measurement<long>(Volatile.Read(ref _recycledByRequests), new KeyValuePair<string, object?>("reason", "requests")),
        }, "{connection}",
            "Connections on the traffic port asked to reconnect (Connection: close or GOAWAY), by reason: age or requests.");

        var cpuLimit = CpuLimit.Detect();
        meter.CreateObservableGauge(MetricNames.CpuLimit, () => cpuLimit, "{cpu}",
            "CPUs this process may use: the cgroup CPU quota if one is set, else the processor count.");
    }

    /// <summary>The service's meter, for instruments that belong to another component (the probe's gauge).</summary>
    public Meter Meter { get; }

    public Histogram<double> SchedulingDelay { get; }

    public Counter<long> WorkloadRequests { get; }

    public Counter<long> AdminChanges { get; }

    /// <summary>Counts a connection the API asked to reconnect (see Connections:MaxAgeSeconds and MaxRequests).</summary>
    public void ConnectionRecycled(RecycleReason reason)
    {
        if (reason == RecycleReason.Age)
        {
            Interlocked.Increment(ref _recycledByAge);
        }
        else
        {
            Interlocked.Increment(ref _recycledByRequests);
        }
    }

    private delegate void ThreadCountReader(out int workerThreads, out int completionPortThreads);

    private static Measurement<int>[] ThreadCounts(ThreadCountReader read)
    {
        read(out var worker, out var io);
        return
        [
            new Measurement<int>(worker, new KeyValuePair<string, object?>("kind", "worker")),
            new Measurement<int>(io, new KeyValuePair<string, object?>("kind", "io")),
        ];
    }
}
