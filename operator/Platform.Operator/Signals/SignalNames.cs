namespace Platform.Operator.Signals;

/// <summary>
/// The API's metric names the operator reads: each is a row of docs/metrics-contract.md (a test checks
/// that), so the operator, the dashboards and the docs agree on one set of names.
/// </summary>
public static class SignalNames
{
    public const string CpuTime = "dotnet_process_cpu_time_seconds_total";
    public const string CpuLimit = "platform_process_cpu_limit";
    public const string SchedulingDelayBucket = "platform_thread_pool_scheduling_delay_seconds_bucket";
    public const string SchedulingDelayCurrent = "platform_thread_pool_scheduling_delay_current_seconds";
    public const string QueueLength = "dotnet_thread_pool_queue_length";
    public const string ThreadCount = "dotnet_thread_pool_thread_count";
    public const string WorkItemCount = "dotnet_thread_pool_work_item_count_total";
    public const string MinThreads = "platform_thread_pool_min_threads";
    public const string MaxThreads = "platform_thread_pool_max_threads";
    public const string AvailableThreads = "platform_thread_pool_available_threads";
    public const string RequestDurationBucket = "http_server_request_duration_seconds_bucket";
    public const string RequestDurationCount = "http_server_request_duration_seconds_count";
    public const string RequestDurationSum = "http_server_request_duration_seconds_sum";

    /// <summary>The quantile of the scheduling delay compared with the starvation threshold.</summary>
    public const double SchedulingDelayQuantile = 0.9;

    public const double LatencyQuantile = 0.95;
}
