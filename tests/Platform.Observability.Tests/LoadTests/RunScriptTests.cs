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
            var (exitCode, output) = await Run(["sync-vs-async", "-e", "RATE=10"], path: $"{fake}:/usr/bin:/bin",
                environment: new Dictionary<string, string> { ["PROMETHEUS_URL"] = "http://prometheus.test:9090/", ["BASE_URL"] = "http://api.test:8080" });
            Assert.True(exitCode == 0, output);
            var args = output.Split('\n').Single(l => l.StartsWith("ARGS ", StringComparison.Ordinal));
            Assert.Contains("run -o experimental-prometheus-rw --tag testid=sync-vs-async-", args, StringComparison.Ordinal);
            var testid = args.Split(' ').Single(a => a.StartsWith("testid=", StringComparison.Ordinal))["testid=".Length..];
            Assert.Contains($"-e TESTID={testid} ", args, StringComparison.Ordinal);
            Assert.Contains("-e BASE_URL=http://api.test:8080 -e PROMETHEUS_URL=http://prometheus.test:9090/ -e RATE=10 ", args, StringComparison.Ordinal);
            Assert.EndsWith(Path.Combine(K6Scripts.Folder, "sync-vs-async.js"), args, StringComparison.Ordinal);
            Assert.Contains("RW_URL http://prometheus.test:9090/api/v1/write", output, StringComparison.Ordinal);
            Assert.Contains("RW_STATS p(50),p(95),p(99)", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
    }

    private static Task<(int ExitCode, string Output)> Run(string[] arguments, string path, Dictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? []) { ["PATH"] = path };
        return ChildProcess.RunAsync("/bin/bash", [RunSh, .. arguments], env, cancellationToken: TestContext.Current.CancellationToken);
    }
}
