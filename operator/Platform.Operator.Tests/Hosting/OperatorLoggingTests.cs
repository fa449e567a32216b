using System.Text.RegularExpressions;
using Platform.Operator.Tests.Local;
using Platform.Testing;

namespace Platform.Operator.Tests.Hosting;

/// <summary>
/// The operator as it runs in a pod: its own process (Platform.Operator.dll, no appsettings next to it), the
/// console logger, probes and scrapes on its listener, and HttpClient calls to a real API it raises min threads
/// in under a blocking burst. By default its log holds the decision and no request or HttpClient chatter; the
/// environment turns the chatter back on, category by category.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed partial class OperatorLoggingTests
{
    private const int Concurrency = 60;

    [Fact]
    public async Task By_default_the_log_has_the_decision_and_no_probe_request_or_httpclient_lines()
    {
        var output = await RunOperatorAsync(new Dictionary<string, string>(), TestContext.Current.CancellationToken);

        Assert.Matches(DecisionLine(), output);
        var chatter = InformationLine().Matches(output).Where(m => IsChatter(m.Groups["category"].Value)).Select(m => m.Value).ToList();
        Assert.True(chatter.Count == 0, "chatter at Information by default:\n" + string.Join('\n', chatter.Take(10)));
        TestContext.Current.TestOutputHelper?.WriteLine($"{output.Split('\n').Length} lines by default");
    }

    [Fact]
    public async Task The_environment_turns_request_and_httpclient_logs_back_on()
    {
        var output = await RunOperatorAsync(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Information",
        }, TestContext.Current.CancellationToken);

        var categories = InformationLine().Matches(output).Select(m => m.Groups["category"].Value).ToList();
        Assert.Contains(categories, c => c.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal));
        Assert.Contains(categories, c => c.StartsWith("System.Net.Http.HttpClient.", StringComparison.Ordinal));
        TestContext.Current.TestOutputHelper?.WriteLine($"{output.Split('\n').Length} lines with the chatter on");
    }

    private static bool IsChatter(string category) =>
        category.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) || category.StartsWith("System.Net.Http.HttpClient.", StringComparison.Ordinal);

    /// <summary>
    /// Starts the API and the operator in local mode against it, probes and scrapes the operator, starves the
    /// API until the operator has raised min threads (a decision line and an HttpClient PUT), and returns what
    /// the operator wrote to stdout and stderr.
    /// </summary>
    private static async Task<string> RunOperatorAsync(Dictionary<string, string> environment, CancellationToken cancel)
    {
        await using var api = await ApiProcess.StartAsync();
        using var directory = new Kubernetes.TempDirectory();
        var tokenFile = directory.Write("token", ApiProcess.AdminToken);
        var port = FreeTcpPort.Next();
        var env = new Dictionary<string, string>(environment) { ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        // The working directory is the content root: an empty one, as in the image, so no appsettings.json applies.
        await using var operatorProcess = ChildProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Platform.Operator.dll"), "--local", "--target", api.ControlBaseAddress.ToString(),
             "--admin-token-file", tokenFile, "--listen", $"http://127.0.0.1:{port}"], env, workingDirectory: directory.Path);
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var probed = 0;
        await using (new BlockingLoad(api.Client, "/io/delay/sync?ms=500", Concurrency))
        {
            while (DateTime.UtcNow < deadline && !operatorProcess.HasExited && !(probed >= 5 && DecisionLine().IsMatch(operatorProcess.RecentOutput)))
            {
                try
                {
                    // As the kubelet and Prometheus do.
                    foreach (var path in new[] { "healthz/live", "healthz/ready", "metrics" })
                    {
                        using var response = await probe.GetAsync(path, cancel);
                        response.EnsureSuccessStatusCode();
                    }
                    probed++;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(500, cancel);
            }
        }
        // A last round after the decision: its request lines are written before the process stops.
        (await probe.GetAsync("healthz/ready", cancel)).EnsureSuccessStatusCode();
        await Task.Delay(500, cancel);
        var output = operatorProcess.RecentOutput;
        Assert.True(probed >= 5, $"the operator answered {probed} rounds of probes:\n{output}");
        Assert.True(DecisionLine().IsMatch(output), $"no min-threads decision within 60 s:\n{output}");
        return output;
    }

    [GeneratedRegex(@"min threads Raise \d+ -> \d+; ThreadPoolStarvation")]
    private static partial Regex DecisionLine();

    // The console logger's first line of an entry: "info: Category[EventId]".
    [GeneratedRegex(@"^info: (?<category>[^\[\s]+)\[", RegexOptions.Multiline)]
    private static partial Regex InformationLine();
}
