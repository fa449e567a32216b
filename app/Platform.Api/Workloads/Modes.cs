namespace Platform.Api.Workloads;

/// <summary>
/// The styles in which a workload can do its work. The route segment and the metric label are the same
/// string, so a dashboard series, a k6 tag and a URL all name a mode identically.
/// </summary>
public static class Modes
{
    /// <summary>await all the way down: the thread returns to the pool while it waits.</summary>
    public const string Async = "async";

    /// <summary>A blocking API (Thread.Sleep, synchronous I/O): the pool only notices through starvation detection.</summary>
    public const string Sync = "sync";

    /// <summary>
    /// .Result / .Wait() on a task: a Task wait. The pool's cooperative-blocking path adds threads for it much
    /// faster than for Thread.Sleep, but each wait can only end when another pool thread runs the task's
    /// completion, so under sustained load it can collapse entirely (the benchmark shows it at 100/s x 100 ms).
    /// </summary>
    public const string SyncOverAsync = "sync-over-async";

    /// <summary>await Task.Run(blocking): moves the blocking to another pool thread, which helps nothing.</summary>
    public const string TaskRun = "task-run";

    /// <summary>Fan-out: downstream calls awaited one after the other.</summary>
    public const string Sequential = "sequential";

    /// <summary>Fan-out: downstream calls started together and awaited with Task.WhenAll.</summary>
    public const string WhenAll = "when-all";
}

/// <summary>Names of the workloads, as used in the <c>workload</c> metric label.</summary>
public static class Workload
{
    public const string IoDelay = "io-delay";
    public const string IoHttp = "io-http";
    public const string Database = "db";
    public const string DatabaseBlob = "db-blob";
    public const string Cpu = "cpu";
    public const string Fanout = "fanout";
    public const string Orders = "orders";
    public const string Downstream = "downstream";
}
