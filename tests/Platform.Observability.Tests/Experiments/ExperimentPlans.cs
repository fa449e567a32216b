using System.Globalization;
using Platform.Observability.Tests.Proof;

namespace Platform.Observability.Tests.Experiments;

/// <summary>
/// The three experiments the operator exists for, shortened to run on one machine in about a minute each:
/// the same scripts' verdicts, with their duration settings (IDLE, BURST, RAMP, ...) set to the phases here.
/// The waits are 400 ms rather than the scripts' 100 ms, so the blocking load starves one pod's pool at a
/// request rate whose CPU stays well under the autoscaler's CPU target (starvation, not saturation).
/// </summary>
public static class ExperimentPlans
{
    public const int WaitMs = 400;

    /// <summary>CPU work per request: about 10 ms of one core.</summary>
    public const int Iterations = 4_000_000;

    /// <summary>cpu-scaleout's saturation: the pods' CPU request (500m) as a fraction of their limit (1).</summary>
    public const string SaturatedCpu = "0.5";

    public static readonly TimeSpan Ramp = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<string> Names { get; } = ["starvation-burst", "cpu-scaleout", "mixed"];

    public static ExperimentPlan For(string name) => name switch
    {
        "starvation-burst" => StarvationBurst(),
        "cpu-scaleout" => CpuScaleout(),
        "mixed" => Mixed(),
        _ => throw new ArgumentException($"no local experiment '{name}'; choose one of: {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>A trickle, a burst of blocking requests, the trickle again: more threads, no more pods.</summary>
    public static ExperimentPlan StarvationBurst()
    {
        TimeSpan idle = TimeSpan.FromSeconds(8), burst = TimeSpan.FromSeconds(30), after = TimeSpan.FromSeconds(8);
        return new("starvation-burst",
            [
                new(idle, [new("baseline", [Trickle()])]),
                new(burst, [new("burst", [Blocking(60)])]),
                new(after, [new("after", [Trickle()])]),
            ],
            new Dictionary<string, string>
            {
                ["IDLE"] = Seconds(idle), ["BURST"] = Seconds(burst), ["AFTER"] = Seconds(after), ["WAIT_MS"] = Text(WaitMs),
            });
    }

    /// <summary>
    /// CPU-bound work ramped up past one pod's core: more pods, no more threads. Saturation is judged at the
    /// pods' CPU request (half their one-core limit; the operator's target is 70 % of it) rather than the
    /// script's 80 % of the limits: the limits of three pods add up to more cores than this machine has, and
    /// the one pod of the start shares its cores with Prometheus, the operator and the load.
    /// </summary>
    public static ExperimentPlan CpuScaleout()
    {
        var hold = TimeSpan.FromSeconds(35);
        return new("cpu-scaleout",
            [new(Ramp + hold, [new("ramp", [Computing(8)])])],
            new Dictionary<string, string>
            {
                ["RAMP"] = Seconds(Ramp), ["HOLD"] = Seconds(hold), ["ITERATIONS"] = Text(Iterations), ["SATURATED_CPU"] = SaturatedCpu,
            });
    }

    /// <summary>Both at once, tagged apart: each cause gets its own fix.</summary>
    public static ExperimentPlan Mixed()
    {
        var duration = TimeSpan.FromSeconds(50);
        return new("mixed",
            [new(duration, [new("blocking", [Blocking(20)]), new("cpu", [Computing(8)])])],
            new Dictionary<string, string>
            {
                ["DURATION"] = Seconds(duration), ["RAMP"] = Seconds(Ramp), ["WAIT_MS"] = Text(WaitMs), ["ITERATIONS"] = Text(Iterations),
            });
    }

    private static LoadKind Trickle() => Get("io-delay", "async", 2, $"/io/delay/async?ms={WaitMs}");

    private static LoadKind Blocking(int workers) => Get("io-delay", "sync", workers, $"/io/delay/sync?ms={WaitMs}");

    private static LoadKind Computing(int workers) => Get("cpu", "sync", workers, $"/cpu/sync?iterations={Iterations}", Ramp);

    private static LoadKind Get(string workload, string mode, int workers, string path, TimeSpan ramp = default) =>
        new(workload, mode, workers, (client, cancel) => client.GetAsync(new Uri(path, UriKind.Relative), cancel), ramp);

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
