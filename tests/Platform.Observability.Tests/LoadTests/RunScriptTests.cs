using Platform.Testing;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>loadtests/run.sh: shellcheck-clean, and the k6 command line it builds (checked with a stand-in k6).</summary>
public sealed class RunScriptTests
{
    private static string RunSh => Path.Combine(K6Scripts.Folder, "run.sh");

    [Fact]
    public async Task Run_sh_is_shellcheck_clean()
    {
        var shellcheck = ToolLocator.Find("shellcheck");
        if (shellcheck is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "shellcheck is not installed (Debian package 'shellcheck').");
            Assert.Fail("shellcheck is not installed (Debian package 'shellcheck').");
        }
        var (exitCode, output) = await ChildProcess.RunAsync(shellcheck, [RunSh], cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Without_k6_it_says_how_to_install_it()
    {
        Assert.SkipWhen(ToolLocator.Find("k6") is not null, "k6 is installed here; this test needs a machine without it.");
        var (exitCode, output) = await Run(["smoke"], path: "/usr/bin:/bin");
        Assert.Equal(127, exitCode);
        Assert.Contains("k6 is not installed", output, StringComparison.Ordinal);
        Assert.Contains("https://grafana.com/docs/k6/latest/set-up/install-k6/", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_scenario_lists_the_scripts()
    {
        var (exitCode, output) = await Run(["no-such-scenario"], path: "/usr/bin:/bin");
        Assert.Equal(2, exitCode);
        foreach (var script in K6Scripts.Scenarios)
        {
            Assert.Contains(Path.GetFileNameWithoutExtension(script), output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task It_runs_k6_with_remote_write_trend_stats_and_one_testid()
    {
        var fake = Directory.CreateTempSubdirectory("fake-k6-").FullName;
        try
        {
            // A stand-in k6 that prints what it was given.
            var k6 = Path.Combine(fake, "k6");
            await File.WriteAllTextAsync(k6,
                "#!/bin/sh\necho \"ARGS $*\"\necho \"RW_URL $K6_PROMETHEUS_RW_SERVER_URL\"\necho \"RW_STATS $K6_PROMETHEUS_RW_TREND_STATS\"\n",
                TestContext.Current.CancellationToken);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(k6, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // NODE names no program: this test is about k6's command line, not the report (no request leaves it).
            var (exitCode, output) = await Run(["sync-vs-async", "-e", "RATE=10"], path: $"{fake}:/usr/bin:/bin",
                environment: new Dictionary<string, string>
                {
                    ["PROMETHEUS_URL"] = "http://prometheus.test:9090/", ["BASE_URL"] = "http://api.test:8080", ["LOADTEST_ARTIFACTS"] = fake, ["NODE"] = Path.Combine(fake, "no-node"),
                });
            Assert.True(exitCode == 0, output);
            var args = output.Split('\n').Single(l => l.StartsWith("ARGS ", StringComparison.Ordinal));
            Assert.Contains(" -o experimental-prometheus-rw --tag testid=sync-vs-async-", args, StringComparison.Ordinal);
            var testid = args.Split(' ').Single(a => a.StartsWith("testid=", StringComparison.Ordinal))["testid=".Length..];
            Assert.StartsWith($"ARGS run --summary-export {Path.Combine(fake, testid, "summary.json")} ", args, StringComparison.Ordinal);
            Assert.Contains($"-e TESTID={testid} ", args, StringComparison.Ordinal);
            Assert.Contains("-e BASE_URL=http://api.test:8080 -e PROMETHEUS_URL=http://prometheus.test:9090/ -e RATE=10 ", args, StringComparison.Ordinal);
            Assert.EndsWith(Path.Combine(K6Scripts.Folder, "sync-vs-async.js"), args, StringComparison.Ordinal);
            Assert.Contains("RW_URL http://prometheus.test:9090/api/v1/write", output, StringComparison.Ordinal);
            Assert.Contains("RW_STATS p(50),p(95),p(99)", output, StringComparison.Ordinal);
            Assert.Contains("RW_STATS p(50),p(95),p(99)", await File.ReadAllTextAsync(Path.Combine(fake, testid, "k6.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.EndsWith("run.sh: no report: node is not installed (e.g. apt-get install nodejs npm), then run npm ci in loadtests/report", StandardOutput(output).TrimEnd(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
    }

    [Fact]
    public async Task After_k6_it_writes_the_report_from_its_log_and_summary_prints_its_path_last_and_keeps_k6s_exit_code()
    {
        Report.ReportTools.RequireNodeModules();
        var fake = Directory.CreateTempSubdirectory("fake-k6-").FullName;
        try
        {
            // A stand-in k6 that writes the summary it was asked for, logs a verdict as k6 does on stderr, and fails.
            var k6 = Path.Combine(fake, "k6");
            await File.WriteAllTextAsync(k6, """
                #!/bin/sh
                while [ $# -gt 0 ]; do
                  if [ "$1" = --summary-export ]; then summary=$2; fi
                  shift
                done
                echo '{"metrics":{"http_reqs":{"count":3,"rate":1.5}}}' > "$summary"
                echo 'time="2025-01-01T12:00:00Z" level=info msg="VERDICT-JSON {\"title\":\"smoke\",\"overall\":\"FAIL\",\"rows\":[{\"check\":\"c\",\"expected\":\"e\",\"observed\":\"o\",\"result\":\"FAIL\"}]}" source=console' >&2
                exit 99

                """, TestContext.Current.CancellationToken);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(k6, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var closed = $"http://127.0.0.1:{FreeTcpPort.Next()}";

            var (exitCode, output) = await Run(["smoke"], path: $"{fake}:/usr/bin:/bin",
                environment: new Dictionary<string, string> { ["PROMETHEUS_URL"] = closed, ["LOADTEST_ARTIFACTS"] = fake, ["REMOTE_WRITE"] = "0" });

            Assert.True(exitCode == 99, output);
            var last = StandardOutput(output).TrimEnd().Split('\n')[^1];
            Assert.StartsWith($"report: {fake}/smoke-", last, StringComparison.Ordinal);
            Assert.EndsWith("/report.html", last, StringComparison.Ordinal);
            var page = Report.ReportTools.PageData(await File.ReadAllTextAsync(last["report: ".Length..], TestContext.Current.CancellationToken));
            Assert.Equal("FAIL", page["verdict"]!["overall"]!.GetValue<string>());
            Assert.Equal(99, page["meta"]!["exitCode"]!.GetValue<int>());
            Assert.Equal(closed, page["meta"]!["prometheus"]!.GetValue<string>());
            Assert.Equal("http_reqs", page["summary"]![0]!["metric"]!.GetValue<string>());
            Assert.StartsWith("smoke-", page["meta"]!["testid"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
    }

    /// <summary>
    /// Runs run.sh; its output is stdout, then a line STDERR_FOLLOWS, then stderr: apart, because the order
    /// of lines between two pipes is not kept, and the last line of stdout is what a test of "the last line" means.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> Run(string[] arguments, string path, Dictionary<string, string>? environment = null)
    {
        var stderr = Path.GetTempFileName();
        try
        {
            var env = new Dictionary<string, string>(environment ?? []) { ["PATH"] = path, ["RUN_SH_STDERR"] = stderr };
            var (exitCode, output) = await ChildProcess.RunAsync("/bin/bash", ["-c", "exec /bin/bash \"$0\" \"$@\" 2>\"$RUN_SH_STDERR\"", RunSh, .. arguments], env,
                cancellationToken: TestContext.Current.CancellationToken);
            return (exitCode, $"{output}\n{StderrFollows}\n{await File.ReadAllTextAsync(stderr, TestContext.Current.CancellationToken)}");
        }
        finally
        {
            File.Delete(stderr);
        }
    }

    private const string StderrFollows = "STDERR_FOLLOWS";

    private static string StandardOutput(string output) => output[..output.LastIndexOf(StderrFollows, StringComparison.Ordinal)];
}
