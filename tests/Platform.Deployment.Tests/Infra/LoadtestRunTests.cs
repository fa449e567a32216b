using Platform.Deployment.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Deployment.Tests.Infra;

/// <summary>
/// infra/loadtest.sh run for real against stand-ins for kubectl and helm that keep a cluster's state in their
/// call log: a Job exists once an upgrade rendered its testId, the operator's pods go once it was scaled to
/// zero (one poll later, as a terminating pod does). Each run must keep its own Job and folder and delete
/// nothing; --reset must stop the operator before it touches the API and start it again only after the API's
/// rollout, and wait at each step.
/// </summary>
public sealed class LoadtestRunTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("platform-loadtest-runs-").FullName;

    public LoadtestRunTests()
    {
        var log = LogPath;
        var polls = Path.Combine(_bin, "operator-polls");
        Fake("helm", $"echo \"helm $*\" >> '{log}'\n");
        Fake("kubectl", $$"""
            echo "kubectl $*" >> '{{log}}'
            case "$*" in
              *"get threadpoolautoscalers.autoscaling.platform.dev platform-api "*) printf '%s' "$FAKE_MIN_REPLICAS" ;;
              *"get deployment platform-operator "*) printf '1' ;;
              *"get pods --selector app.kubernetes.io/instance=platform,app.kubernetes.io/component=operator "*)
                # Still terminating at the first poll after the scale to zero, gone at the next.
                if grep -q 'scale deployment/platform-operator --replicas=0' '{{log}}' && [ -e '{{polls}}' ]; then :; else touch '{{polls}}'; printf 'platform-operator-7d9f-abcde'; fi ;;
              *"get jobs --selector platform.dev/testid="*)
                id=$(printf '%s' "$*" | sed 's/.*platform\.dev\/testid=\([^ ]*\).*/\1/')
                grep -q "loadtest.testId=$id\$\|loadtest.testId=$id " '{{log}}' && printf 'platform-k6-%s' "$id" ;;
              *"status.phase"*) printf 'Succeeded' ;;
              *"logs --follow job/"*) printf 'k6 output of %s\n' "$(printf '%s' "$*" | sed 's/.*job\///')" ;;
              *"exitCode"*) printf '0' ;;
            esac
            exit 0

            """);
        var system = Path.Combine(_bin, "system");
        Directory.CreateDirectory(system);
        foreach (var tool in new[] { "bash", "sh", "dirname", "basename", "awk", "sed", "grep", "date", "cat", "sleep", "mkdir", "tee", "mktemp", "head", "tr", "rm", "touch" })
        {
            File.CreateSymbolicLink(Path.Combine(system, tool), ToolLocator.Find(tool) ?? throw new InvalidOperationException($"{tool} is not on PATH"));
        }
        File.WriteAllText(LogPath, "");
    }

    private string LogPath => Path.Combine(_bin, "invoked.log");

    private string Artifacts => Path.Combine(_bin, "artifacts");

    private IReadOnlyList<string> Invoked => File.ReadAllLines(LogPath);

    [Fact]
    public async Task Two_runs_keep_two_jobs_and_two_logs_and_delete_nothing()
    {
        var first = await RunAsync(["smoke"], "smoke-first");
        var second = await RunAsync(["smoke"], "smoke-second");

        Assert.True(first.ExitCode == 0, first.Describe());
        Assert.True(second.ExitCode == 0, second.Describe());
        Assert.Equal("k6 output of platform-k6-smoke-first\n", await File.ReadAllTextAsync(Path.Combine(Artifacts, "smoke-first", "k6.log"), TestContext.Current.CancellationToken));
        Assert.Equal("k6 output of platform-k6-smoke-second\n", await File.ReadAllTextAsync(Path.Combine(Artifacts, "smoke-second", "k6.log"), TestContext.Current.CancellationToken));
        var upgrades = Invoked.Where(c => c.Contains(" upgrade platform ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, upgrades.Count);
        Assert.Contains("--set-string loadtest.testId=smoke-first", upgrades[0]);
        Assert.Contains("--set-string loadtest.testId=smoke-second", upgrades[1]);
        Assert.DoesNotContain(Invoked, c => c.Contains(" delete ", StringComparison.Ordinal) || c.Contains(" uninstall ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_testId_used_before_is_refused_whether_its_folder_or_only_its_Job_remains()
    {
        var first = await RunAsync(["smoke"], "smoke-again");
        var folderRemains = await RunAsync(["smoke"], "smoke-again");
        Directory.Delete(Path.Combine(Artifacts, "smoke-again"), recursive: true);
        var jobRemains = await RunAsync(["smoke"], "smoke-again");

        Assert.True(first.ExitCode == 0, first.Describe());
        Assert.Equal(1, folderRemains.ExitCode);
        Assert.Contains("TESTID 'smoke-again' was used before: ", folderRemains.StandardError);
        Assert.Equal(1, jobRemains.ExitCode);
        Assert.Contains("TESTID 'smoke-again' was used before: job/platform-k6-smoke-again exists", jobRemains.StandardError);
        Assert.Single(Invoked, c => c.Contains(" upgrade platform ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reset_stops_the_operator_then_resizes_and_restarts_the_api_waits_then_starts_the_operator()
    {
        var result = await RunAsync(["--reset"], testId: null, minReplicas: "2");

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = Invoked.ToList();
        int At(string fragment)
        {
            var index = calls.FindIndex(c => c.Contains(fragment, StringComparison.Ordinal));
            Assert.True(index >= 0, $"no call contains '{fragment}':\n{string.Join('\n', calls)}");
            return index;
        }
        var stop = At("kubectl --context kind-platform --namespace platform scale deployment/platform-operator --replicas=0");
        var lastPoll = calls.FindLastIndex(c => c.Contains("get pods --selector app.kubernetes.io/instance=platform,app.kubernetes.io/component=operator", StringComparison.Ordinal));
        var scale = At("scale deployment/platform-api --replicas=2");
        var restart = At("rollout restart deployment/platform-api");
        var apiRolledOut = At("rollout status deployment/platform-api --timeout=");
        var start = At("scale deployment/platform-operator --replicas=1");
        var operatorRolledOut = At("rollout status deployment/platform-operator --timeout=");
        // It polled until the terminating operator pod was gone, and only then touched the API.
        Assert.Equal(2, calls.Count(c => c.Contains("component=operator", StringComparison.Ordinal)));
        Assert.True(stop < lastPoll && lastPoll < scale && scale < restart && restart < apiRolledOut && apiRolledOut < start && start < operatorRolledOut,
            string.Join('\n', calls));
        Assert.DoesNotContain(calls, c => c.StartsWith("helm", StringComparison.Ordinal) && c.Contains(" upgrade ", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Artifacts), "a reset alone wrote a run folder");
        Assert.Contains("reset: done", result.StandardError);
    }

    [Fact]
    public async Task Reset_with_a_scenario_resets_first_then_runs_it()
    {
        var result = await RunAsync(["--reset", "smoke"], "smoke-after-reset", minReplicas: "1");

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = Invoked.ToList();
        var operatorBack = calls.FindIndex(c => c.Contains("rollout status deployment/platform-operator", StringComparison.Ordinal));
        var upgrade = calls.FindIndex(c => c.Contains(" upgrade platform ", StringComparison.Ordinal));
        Assert.True(operatorBack >= 0 && operatorBack < upgrade, string.Join('\n', calls));
        Assert.True(File.Exists(Path.Combine(Artifacts, "smoke-after-reset", "k6.log")));
    }

    [Fact]
    public async Task Reset_without_an_autoscaler_says_so_and_changes_nothing()
    {
        var result = await RunAsync(["--reset"], testId: null, minReplicas: "");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--reset: no ThreadPoolAutoscaler platform-api in namespace platform", result.StandardError);
        Assert.DoesNotContain(Invoked, c => c.Contains(" scale ", StringComparison.Ordinal) || c.Contains(" rollout ", StringComparison.Ordinal));
    }

    private async Task<ToolResult> RunAsync(string[] arguments, string? testId, string minReplicas = "1")
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = $"{_bin}:{Path.Combine(_bin, "system")}",
            ["LOADTEST_ARTIFACTS"] = Artifacts,
            ["FAKE_MIN_REPLICAS"] = minReplicas,
            // No report here (LoadtestReportTests covers it): the run ends with "no report: node is not installed".
            ["NODE"] = "no-such-node",
        };
        if (testId is not null)
        {
            env["TESTID"] = testId;
        }
        return await ToolRun.RunAsync("/bin/bash", [RepositoryPaths.Combine("infra", "loadtest.sh"), .. arguments], env, timeout: TimeSpan.FromMinutes(1));
    }

    private void Fake(string name, string body)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);
}
