using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Deployment.Tests.Infra;

/// <summary>
/// infra/loadtest.sh past the Job: the log saved, the experiment report written from it with the real generator
/// (node and loadtests/report), the page's path as the last line, and k6's exit code kept. No cluster can run
/// here, so kubectl and helm are stand-ins that answer like a cluster whose k6 Job has finished; Prometheus is
/// a closed loopback port, so the page is written and says that Prometheus did not answer.
/// </summary>
public sealed partial class LoadtestReportTests
{
    private const string TestId = "smoke-report-test";

    [Fact]
    public async Task On_kind_it_saves_the_jobs_log_writes_the_report_prints_its_path_last_and_exits_with_k6s_code()
    {
        var closed = $"http://127.0.0.1:{FreeTcpPort.Next()}";

        var run = await RunAsync([], new Dictionary<string, string> { ["PROMETHEUS_URL"] = closed });

        Assert.True(run.Result.ExitCode == 99, run.Result.Describe());
        Assert.Contains("level=info msg=\"VERDICT-JSON ", await File.ReadAllTextAsync(Path.Combine(run.Folder, "k6.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var last = run.Result.StandardOutput.TrimEnd().Split('\n')[^1];
        Assert.Equal($"report: {Path.Combine(run.Folder, "report.html")}", last);
        var page = PageData(await File.ReadAllTextAsync(Path.Combine(run.Folder, "report.html"), TestContext.Current.CancellationToken));
        Assert.Equal(closed, page["meta"]!["prometheus"]!.GetValue<string>());
        Assert.Equal(TestId, page["meta"]!["testid"]!.GetValue<string>());
        Assert.Equal("platform", page["meta"]!["namespace"]!.GetValue<string>());
        Assert.Equal("platform-api", page["meta"]!["autoscaler"]!.GetValue<string>());
        Assert.Equal(99, page["meta"]!["exitCode"]!.GetValue<int>());
        Assert.Equal("FAIL", page["verdict"]!["overall"]!.GetValue<string>());
        Assert.Contains($"Prometheus at {closed} answered no query", page["problems"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_minikube_it_reads_prometheus_through_a_port_forward_that_it_stops_by_pid()
    {
        var port = FreeTcpPort.Next();

        var run = await RunAsync(["--minikube"], new Dictionary<string, string> { ["PF_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(run.Result.ExitCode == 99, run.Result.Describe());
        Assert.Contains("kubectl --context platform --namespace platform port-forward svc/platform-prometheus :9090", run.Invoked);
        var page = PageData(await File.ReadAllTextAsync(Path.Combine(run.Folder, "report.html"), TestContext.Current.CancellationToken));
        Assert.Equal($"http://127.0.0.1:{port}", page["meta"]!["prometheus"]!.GetValue<string>());
        var pid = int.Parse(run.PortForwardPid!, System.Globalization.CultureInfo.InvariantCulture);
        var deadline = Stopwatch.StartNew();
        while (IsRunning(pid) && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.False(IsRunning(pid), $"the port-forward (pid {pid}) still runs after the script ended");
    }

    private sealed record Run(ToolResult Result, string Folder, IReadOnlyList<string> Invoked, string? PortForwardPid);

    /// <summary>Runs loadtest.sh smoke with the stand-ins; PATH holds them, node and the few system tools the script uses.</summary>
    private static async Task<Run> RunAsync(string[] flags, IReadOnlyDictionary<string, string> environment)
    {
        var node = RequiredTool.Find("node");
        if (!File.Exists(RepositoryPaths.Combine("loadtests", "report", "node_modules", "uplot", "package.json")))
        {
            const string missing = "loadtests/report/node_modules is missing: run `bash scripts/install-tools.sh` (npm ci in loadtests/report).";
            if (ToolLocator.IsCi) Assert.Fail(missing + " CI must provide it.");
            Assert.Skip(missing);
        }
        var bin = Directory.CreateTempSubdirectory("platform-loadtest-fakes-").FullName;
        try
        {
            var log = Path.Combine(bin, "invoked.log");
            var pidFile = Path.Combine(bin, "port-forward.pid");
            File.WriteAllText(log, "");
            // A cluster whose Job for TESTID has run and ended with k6's 99, its log holding the verdict as k6 logs it.
            Fake(bin, "helm", $"echo \"helm $*\" >> '{log}'\n");
            Fake(bin, "kubectl", $$"""
                echo "kubectl $*" >> '{{log}}'
                case "$*" in
                  # The Job exists once an upgrade has rendered it.
                  *"get jobs"*) grep -q ' upgrade ' '{{log}}' && printf 'platform-k6-{{TestId}}' ;;
                  *"status.phase"*) printf 'Succeeded' ;;
                  *"logs --follow"*)
                    echo 'running (0m10.0s), 00/10 VUs, 20 complete and 0 interrupted iterations'
                    echo 'time="2025-01-01T12:00:00Z" level=info msg="VERDICT-JSON {\"title\":\"smoke\",\"overall\":\"FAIL\",\"rows\":[{\"check\":\"c\",\"expected\":\"e\",\"observed\":\"o\",\"result\":\"FAIL\"}]}" source=console' ;;
                  *"exitCode"*) printf '99' ;;
                  *"port-forward"*)
                    echo $$ > '{{pidFile}}'
                    echo "Forwarding from 127.0.0.1:$PF_PORT -> 9090"
                    exec sleep 60 ;;
                esac

                """);
            var system = Path.Combine(bin, "system");
            Directory.CreateDirectory(system);
            foreach (var tool in new[] { "bash", "sh", "dirname", "basename", "awk", "sed", "grep", "date", "cat", "sleep", "mkdir", "tee", "mktemp", "head", "tr", "rm" })
            {
                File.CreateSymbolicLink(Path.Combine(system, tool), ToolLocator.Find(tool) ?? throw new InvalidOperationException($"{tool} is not on PATH"));
            }
            File.CreateSymbolicLink(Path.Combine(system, "node"), node);
            var artifacts = Path.Combine(bin, "artifacts");
            var env = new Dictionary<string, string>(environment)
            {
                ["PATH"] = $"{bin}:{system}", ["TESTID"] = TestId, ["LOADTEST_ARTIFACTS"] = artifacts,
            };
            var result = await ToolRun.RunAsync("/bin/bash", [RepositoryPaths.Combine("infra", "loadtest.sh"), .. flags, "smoke"], env, timeout: TimeSpan.FromMinutes(1));
            var folder = Path.Combine(artifacts, TestId);
            var copy = Directory.CreateTempSubdirectory("platform-loadtest-run-").FullName;
            foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder) : [])
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            // The page names its own folder; the test reads the copy.
            return new Run(result with { StandardOutput = result.StandardOutput.Replace(folder, copy, StringComparison.Ordinal) }, copy,
                [.. File.ReadAllLines(log)], File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : null);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static void Fake(string bin, string name, string body)
    {
        var path = Path.Combine(bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool IsRunning(int pid)
    {
        // A process that ended and was reaped has no /proc entry; a zombie's state is Z.
        var status = $"/proc/{pid}/stat";
        return File.Exists(status) && !ZombieState().IsMatch(File.ReadAllText(status));
    }

    private static JsonObject PageData(string html)
    {
        var match = ReportData().Match(html);
        Assert.True(match.Success, "the page has no #report-data script");
        return JsonNode.Parse(match.Groups[1].Value)!.AsObject();
    }

    [GeneratedRegex(@"^\d+ \(.*\) Z ", RegexOptions.Singleline)]
    private static partial Regex ZombieState();

    [GeneratedRegex("""<script type="application/json" id="report-data">(.*?)</script>""", RegexOptions.Singleline)]
    private static partial Regex ReportData();
}
