using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Api.Benchmarks;

/// <summary>What one wrk run reported.</summary>
/// <param name="Errors">Non-2xx/3xx responses plus socket errors (connect, read, write, timeout).</param>
internal sealed record WrkResult(double RequestsPerSecond, TimeSpan P50, TimeSpan P99, long Requests, long Errors);

/// <summary>
/// wrk, an independent closed-loop load generator written in C, against the same API process as the
/// in-process generator: the cross-check that the in-process figures are the server's and not the client's.
/// </summary>
internal static partial class WrkLoad
{
    /// <summary>Two threads, one per core: wrk's own advice is one thread per core.</summary>
    private const int Threads = 2;

    public static string? Find() => ToolLocator.Find("wrk");

    public static async Task<WrkResult> RunAsync(string wrk, Uri target, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(wrk,
            [
                "-t", Threads.ToString(CultureInfo.InvariantCulture),
                "-c", connections.ToString(CultureInfo.InvariantCulture),
                "-d", string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s"),
                "--latency", target.ToString(),
            ],
            timeout: duration + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with code {exitCode}: {output}");
        }
        return Parse(output);
    }

    /// <summary>Reads wrk's text summary ("Requests/sec:", the --latency distribution, error lines).</summary>
    public static WrkResult Parse(string output)
    {
        var rate = RequestsPerSecondLine().Match(output);
        var requests = RequestsLine().Match(output);
        if (!rate.Success || !requests.Success)
        {
            throw new InvalidOperationException($"wrk printed no request count or Requests/sec line: {output}");
        }
        long errors = 0;
        if (NonSuccessLine().Match(output) is { Success: true } nonSuccess)
        {
            errors += long.Parse(nonSuccess.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        if (SocketErrorsLine().Match(output) is { Success: true } socket)
        {
            errors += Enumerable.Range(1, 4).Sum(group => long.Parse(socket.Groups[group].Value, CultureInfo.InvariantCulture));
        }
        return new WrkResult(
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            Percentile(output, "50"),
            Percentile(output, "99"),
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            errors);
    }

    private static TimeSpan Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s*{percent}(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!match.Success)
        {
            throw new InvalidOperationException($"wrk printed no {percent}% latency (was --latency passed?): {output}");
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => TimeSpan.FromMicroseconds(value),
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            _ => TimeSpan.FromMinutes(value),
        };
    }

    [GeneratedRegex(@"^Requests/sec:\s+([0-9.]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s*([0-9]+) requests in ", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+([0-9]+)", RegexOptions.CultureInvariant)]
    private static partial Regex NonSuccessLine();

    [GeneratedRegex(@"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)", RegexOptions.CultureInvariant)]
    private static partial Regex SocketErrorsLine();
}
