using System.Globalization;

namespace Platform.Api.Benchmarks;

/// <summary>
/// CPU time of the whole machine and of this process plus its children (the API processes), from /proc in
/// clock ticks. The difference over a run is the CPU that other processes used meanwhile: the
/// honest way to tell whether the figures were disturbed, which a load average cannot (it includes our own load).
/// </summary>
internal sealed record CpuAccounting(long MachineBusy, long MachineTotal, long Ours)
{
    /// <summary>Null where /proc is not available.</summary>
    /// <param name="liveChildPid">
    /// A child that is still running: its time only joins this process's "children" time once it has exited and been reaped.
    /// </param>
    public static CpuAccounting? Read(int? liveChildPid = null)
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is already in user.
            // irq and softirq are left out of "busy": no process is charged for them, and here they are mostly
            // this benchmark's own loopback traffic. steal (the hypervisor running someone else) stays in.
            var machine = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(value => long.Parse(value, CultureInfo.InvariantCulture)).ToArray();
            var busy = machine[0] + machine[1] + machine[2] + machine[7];
            var total = machine.Sum();

            var ours = ProcessTicks("self", includeReapedChildren: true)
                + (liveChildPid is { } pid ? ProcessTicks(pid.ToString(CultureInfo.InvariantCulture), includeReapedChildren: false) : 0);
            return new CpuAccounting(busy, total, ours);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }

    private static long ProcessTicks(string pid, bool includeReapedChildren)
    {
        // Fields after "(comm)": state is field 3, so utime (14), stime (15), cutime (16), cstime (17) are at 11..14.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return Enumerable.Range(11, includeReapedChildren ? 4 : 2).Sum(index => long.Parse(fields[index], CultureInfo.InvariantCulture));
    }

    /// <summary>Share of the machine's CPU capacity used by processes other than this one and its children between two readings.</summary>
    public static double? OthersShare(CpuAccounting? start, CpuAccounting? end)
    {
        if (start is null || end is null || end.MachineTotal <= start.MachineTotal)
        {
            return null;
        }

        var others = (end.MachineBusy - start.MachineBusy) - (end.Ours - start.Ours);
        return Math.Max(0, (double)others / (end.MachineTotal - start.MachineTotal));
    }

    /// <summary>Share of the machine's CPU capacity used by this process and its children between two readings.</summary>
    public static double? OursShare(CpuAccounting? start, CpuAccounting? end) =>
        start is null || end is null || end.MachineTotal <= start.MachineTotal
            ? null
            : (double)(end.Ours - start.Ours) / (end.MachineTotal - start.MachineTotal);
}

/// <summary>
/// CPU ticks of the machine and of the three parties of one measured run: the API process, this process (the
/// in-process load generator, plus its scraper) and this process's reaped children (wrk, once it has exited).
/// The difference of two samples says who used the two cores while the load ran.
/// </summary>
internal sealed record CpuSample(long MachineBusy, long MachineTotal, long Server, long Self, long ReapedChildren)
{
    public static CpuSample? Read(int serverPid)
    {
        var machine = CpuAccounting.Read(serverPid);
        var self = ProcessTicks("self");
        var server = ProcessTicks(serverPid.ToString(CultureInfo.InvariantCulture));
        if (machine is null || self is null || server is null)
        {
            return null;
        }
        return new CpuSample(machine.MachineBusy, machine.MachineTotal, server.Value.Own, self.Value.Own, self.Value.Children);
    }

    /// <summary>Shares of the machine's capacity (both cores = 1) between two samples.</summary>
    public static CpuShares? Between(CpuSample? start, CpuSample? end)
    {
        if (start is null || end is null || end.MachineTotal <= start.MachineTotal)
        {
            return null;
        }
        double total = end.MachineTotal - start.MachineTotal;
        var server = end.Server - start.Server;
        var self = end.Self - start.Self;
        var children = end.ReapedChildren - start.ReapedChildren;
        var others = end.MachineBusy - start.MachineBusy - server - self - children;
        return new CpuShares(server / total, self / total, children / total, Math.Max(0, others) / total);
    }

    private static (long Own, long Children)? ProcessTicks(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
            return (Field(11) + Field(12), Field(13) + Field(14));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <param name="Server">The API process.</param>
/// <param name="InProcessGenerator">This process: the in-process load generator (and the once-a-second scrape).</param>
/// <param name="Wrk">This process's children that exited meanwhile: wrk.</param>
/// <param name="Others">Everything else on the machine (other helpers' builds, hypervisor steal).</param>
internal sealed record CpuShares(double Server, double InProcessGenerator, double Wrk, double Others);
