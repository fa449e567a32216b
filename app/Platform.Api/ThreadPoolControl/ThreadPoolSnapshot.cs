namespace Platform.Api.ThreadPoolControl;

/// <summary>The thread pool as it is right now, read back from the runtime (never what was asked for).</summary>
public sealed record ThreadPoolSnapshot(
    int MinWorkerThreads,
    int MinIoThreads,
    int MaxWorkerThreads,
    int MaxIoThreads,
    int AvailableWorkerThreads,
    int AvailableIoThreads,
    int ThreadCount,
    long PendingWorkItems,
    long CompletedWorkItems,
    int ProcessorCount,
    int MinThreadsCap,
    double LastSchedulingDelayMs)
{
    public static ThreadPoolSnapshot Capture(int minThreadsCap, TimeSpan lastSchedulingDelay)
    {
        ThreadPool.GetMinThreads(out var minWorker, out var minIo);
        ThreadPool.GetMaxThreads(out var maxWorker, out var maxIo);
        ThreadPool.GetAvailableThreads(out var availableWorker, out var availableIo);
        return new ThreadPoolSnapshot(minWorker, minIo, maxWorker, maxIo, availableWorker, availableIo,
            ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount, ThreadPool.CompletedWorkItemCount,
            Environment.ProcessorCount, minThreadsCap, lastSchedulingDelay.TotalMilliseconds);
    }
}

/// <summary>Body of PUT /admin/threadpool. An omitted value keeps its current setting.</summary>
public sealed record ThreadPoolChange(int? MinWorkerThreads, int? MinIoThreads);
