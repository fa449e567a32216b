namespace Platform.Api.Telemetry;

/// <summary>
/// The instruments this service defines itself. docs/metrics-contract.md documents them with their
/// Prometheus names; a test keeps the two and the live /metrics output in agreement.
/// </summary>
public static class MetricNames
{
    public const string Meter = "Platform.Api";

    public const string SchedulingDelay = "platform.thread_pool.scheduling_delay";
    public const string SchedulingDelayCurrent = "platform.thread_pool.scheduling_delay.current";
    public const string MinThreads = "platform.thread_pool.min_threads";
    public const string MaxThreads = "platform.thread_pool.max_threads";
    public const string AvailableThreads = "platform.thread_pool.available_threads";
    public const string AdminChanges = "platform.thread_pool.admin_changes";
    public const string CpuLimit = "platform.process.cpu.limit";
    public const string WorkloadRequests = "platform.workload.requests";
    public const string ConnectionsRecycled = "platform.http.connections_recycled";

    /// <summary>The meters exported at /metrics, besides <see cref="Meter"/>.</summary>
    public static readonly IReadOnlyList<string> ExportedMeters =
    [
        Meter,
        "Platform.Metrics",
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Net.Http",
        "Npgsql",
    ];
}
