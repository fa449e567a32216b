using System.Text.RegularExpressions;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Deployment.Tests.Infra;

/// <summary>
/// infra/*.sh cannot create a cluster here (no Docker engine, kind or minikube), so they are held to shellcheck,
/// to their conventions, and to their --dry-run mode: it prints every command it would run (each kubectl and
/// helm call with an explicit context), runs none of them, and still refuses bad input.
/// </summary>
public sealed partial class InfraScriptTests
{
    private static string InfraDirectory => RepositoryPaths.Combine("infra");

    private static IEnumerable<string> Scripts =>
        Directory.GetFiles(InfraDirectory, "*.sh").Concat(Directory.GetFiles(Path.Combine(InfraDirectory, "lib"), "*.sh")).Order(StringComparer.Ordinal);

    public static TheoryData<string[], string[]> DryRuns => new()
    {
        // arguments, commands that must be printed (fragments of "+ ..." lines)
        { ["up.sh", "--dry-run"], ["+ kind create cluster --name platform --config", "+ docker build --file", "platform-api:dev", "platform-operator:dev",
            "+ kind load docker-image platform-api:", "+ kind load docker-image platform-operator:",
            "+ helm --kube-context kind-platform upgrade --install platform", "--wait", "--values", "infra/values/kind.yaml",
            "--set-string database.provider=postgres"] },
        { ["up.sh", "--database", "sqlserver", "--accept-sql-server-eula", "--dry-run"], ["--set-string database.provider=sqlserver",
            "--set database.sqlserver.acceptEula=true"] },
        { ["up.sh", "--database", "sqlite", "--dry-run"], ["--set-string database.provider=sqlite"] },
        { ["up.sh", "--minikube", "--dry-run"], ["+ minikube start -p platform", "--cni calico", "+ minikube -p platform image load platform-api:",
            "+ helm --kube-context platform upgrade --install platform", "+ kubectl --context platform --namespace platform get pods"] },
        { ["down.sh", "--dry-run"], ["+ kind delete cluster --name platform"] },
        { ["down.sh", "--minikube", "--dry-run"], ["+ minikube delete -p platform"] },
        { ["down.sh", "--release-only", "--dry-run"], ["+ helm --kube-context kind-platform uninstall platform --namespace platform", "+ kubectl --context kind-platform delete namespace platform"] },
        { ["loadtest.sh", "smoke", "--dry-run"], ["+ helm --kube-context kind-platform upgrade platform", "--reset-then-reuse-values", "--set loadtest.enabled=true",
            "--set-string loadtest.scenario=smoke", "--set-string loadtest.testId=smoke-", "+ kubectl --context kind-platform --namespace platform logs --follow job/platform-k6-smoke-",
            "+ mkdir -p ", "/artifacts/loadtests/smoke-", "loadtests/report/report.mjs --prometheus http://127.0.0.1:9090 ", "--namespace platform --autoscaler platform-api --verdict "] },
        { ["loadtest.sh", "--reset", "--dry-run"], ["+ kubectl --context kind-platform --namespace platform get threadpoolautoscalers.autoscaling.platform.dev platform-api",
            "+ kubectl --context kind-platform --namespace platform scale deployment/platform-operator --replicas=0",
            "+ kubectl --context kind-platform --namespace platform scale deployment/platform-api --replicas=MIN",
            "+ kubectl --context kind-platform --namespace platform rollout restart deployment/platform-api",
            "+ kubectl --context kind-platform --namespace platform rollout status deployment/platform-api --timeout=300s",
            "+ kubectl --context kind-platform --namespace platform scale deployment/platform-operator --replicas=N"] },
        { ["loadtest.sh", "--reset", "smoke", "--dry-run"], ["rollout restart deployment/platform-api", "+ helm --kube-context kind-platform upgrade platform"] },
        { ["loadtest.sh", "--minikube", "smoke", "--dry-run"], ["+ kubectl --context platform --namespace platform port-forward svc/platform-prometheus :9090",
            "loadtests/report/report.mjs --prometheus http://127.0.0.1:PORT "] },
    };

    [Fact]
    public async Task Shellcheck_finds_nothing_in_the_infra_scripts()
    {
        var shellcheck = RequiredTool.Find("shellcheck");

        var result = await ToolRun.RunAsync(shellcheck, ["--external-sources", "--severity=style", .. Scripts]);

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public void Every_script_is_strict_built_from_functions_and_ends_with_main()
    {
        foreach (var script in Scripts)
        {
            var text = File.ReadAllText(script);
            var name = Path.GetFileName(script);
            Assert.StartsWith("#!/usr/bin/env bash\n", text);
            if (Path.GetFileName(Path.GetDirectoryName(script)) == "lib")
            {
                // Sourced, never run: it defines functions and variables only, among them the one usage().
                Assert.DoesNotContain("\nmain ", text);
                Assert.Contains("\nusage() {", text);
                continue;
            }
            Assert.Contains("\nset -euo pipefail\n", text);
            Assert.EndsWith("\nmain \"$@\"\n", text);
            // usage() comes from lib/common.sh and prints this script's own header (see the --help test).
            Assert.DoesNotContain("\nusage() {", text);
            Assert.Contains("source \"$(dirname \"${BASH_SOURCE[0]}\")/lib/common.sh\"", text);
            Assert.True((File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0, $"{name} is not executable");
            // Every kubectl and helm call goes through the context-pinning wrappers or names a context itself.
            foreach (var line in text.Split('\n').Where(l => BareCall().IsMatch(l)))
            {
                Assert.True(line.Contains("--context", StringComparison.Ordinal) || line.Contains("--kube-context", StringComparison.Ordinal), $"{name}: {line.Trim()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DryRuns))]
    public async Task A_dry_run_prints_every_command_with_an_explicit_context_and_runs_none(string[] arguments, string[] expected)
    {
        var (result, invoked) = await DryRunAsync(arguments);

        Assert.True(result.ExitCode == 0, result.Describe());
        var output = result.StandardOutput + "\n" + result.StandardError;
        var commands = output.Split('\n').Where(l => l.StartsWith("+ ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(commands);
        foreach (var fragment in expected)
        {
            Assert.True(commands.Any(c => c.Contains(fragment, StringComparison.Ordinal)), $"no command contains '{fragment}':\n{string.Join('\n', commands)}");
        }
        foreach (var command in commands.Where(c => c.StartsWith("+ kubectl ", StringComparison.Ordinal)))
        {
            Assert.StartsWith("+ kubectl --context ", command);
        }
        foreach (var command in commands.Where(c => c.StartsWith("+ helm ", StringComparison.Ordinal)))
        {
            Assert.StartsWith("+ helm --kube-context ", command);
        }
        Assert.Empty(invoked);
    }

    [Fact]
    public async Task A_dry_run_of_a_load_test_ends_with_where_its_report_would_be()
    {
        var (result, invoked) = await DryRunAsync(["loadtest.sh", "smoke", "--dry-run"]);

        Assert.True(result.ExitCode == 0, result.Describe());
        var last = result.StandardOutput.TrimEnd().Split('\n')[^1];
        Assert.Matches(@"^report: .*/artifacts/loadtests/smoke-\d+/report\.html \(dry run: not written\)$", last);
        Assert.False(Directory.Exists(last["report: ".Length..last.IndexOf("/report.html", StringComparison.Ordinal)]), "a dry run created the run's folder");
        Assert.Empty(invoked);
    }

    [Fact]
    public async Task A_dry_run_without_the_tools_names_each_missing_one_and_goes_on()
    {
        // An empty PATH apart from what bash itself needs: docker, kind, kubectl and helm are all missing.
        var (result, _) = await DryRunAsync(["up.sh", "--dry-run"], installFakes: false);

        Assert.True(result.ExitCode == 0, result.Describe());
        foreach (var tool in new[] { "docker", "kind", "kubectl", "helm" })
        {
            Assert.Contains($"warning: {tool} is not installed (", result.StandardError);
        }
    }

    [Fact]
    public async Task Without_dry_run_a_missing_tool_stops_the_script_with_where_to_get_it()
    {
        var (result, _) = await DryRunAsync(["up.sh"], installFakes: false);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: docker is not installed: https://docs.docker.com/get-docker/", result.StandardError);
        Assert.Contains("error: kind is not installed: https://kind.sigs.k8s.io/", result.StandardError);
    }

    [Theory]
    [InlineData(new[] { "loadtest.sh", "no-such-scenario", "--dry-run" }, "no scenario 'no-such-scenario' (loadtests/no-such-scenario.js); the scenarios are: ")]
    [InlineData(new[] { "loadtest.sh", "--dry-run" }, "which scenario? one of: ")]
    [InlineData(new[] { "loadtest.sh", "smoke", "--timeout", "soon", "--dry-run" }, "--timeout 'soon' must be a number of seconds")]
    [InlineData(new[] { "up.sh", "--dry-run", "--kubernetes" }, "unknown argument: --kubernetes")]
    [InlineData(new[] { "up.sh", "--database", "mysql", "--dry-run" }, "--database 'mysql' must be postgres, sqlite or sqlserver")]
    [InlineData(new[] { "up.sh", "--database", "sqlserver", "--dry-run" }, "--database sqlserver runs the SQL Server image only once you accept its licence terms: add --accept-sql-server-eula")]
    [InlineData(new[] { "up.sh", "--dry-run", "--database" }, "--database needs a value")]
    [InlineData(new[] { "down.sh", "--dry-run", "--everything" }, "unknown argument: --everything")]
    public async Task A_dry_run_still_checks_its_inputs(string[] arguments, string message)
    {
        var (result, invoked) = await DryRunAsync(arguments);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.StandardError);
        Assert.Empty(invoked);
    }

    [Fact]
    public async Task A_bad_cluster_name_is_refused_before_anything_runs()
    {
        var (result, invoked) = await DryRunAsync(["up.sh", "--dry-run"], environment: new Dictionary<string, string> { ["CLUSTER_NAME"] = "Not A Name" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CLUSTER_NAME 'Not A Name' must be a DNS label", result.StandardError);
        Assert.Empty(invoked);
    }

    [Fact]
    public async Task Every_script_explains_itself_with_help()
    {
        foreach (var script in new[] { "up.sh", "down.sh", "loadtest.sh" })
        {
            var (result, invoked) = await DryRunAsync([script, "--help"]);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Usage: infra/" + script, result.StandardOutput);
            Assert.Contains("--dry-run", result.StandardOutput);
            Assert.Contains("CLUSTER_NAME", result.StandardOutput);
            Assert.Empty(invoked);
        }
    }

    [Fact]
    public async Task The_kind_cluster_has_one_control_plane_two_workers_and_publishes_only_on_loopback()
    {
        var cluster = Yaml.Document(await File.ReadAllTextAsync(Path.Combine(InfraDirectory, "kind", "cluster.yaml"), TestContext.Current.CancellationToken))!;
        var values = Yaml.Document(await File.ReadAllTextAsync(Path.Combine(InfraDirectory, "values", "kind.yaml"), TestContext.Current.CancellationToken))!;

        Assert.Equal("kind.x-k8s.io/v1alpha4", cluster["apiVersion"]!.GetValue<string>());
        var roles = cluster["nodes"]!.AsArray().Select(n => n!["role"]!.GetValue<string>()).ToList();
        Assert.Equal(["control-plane", "worker", "worker"], roles);
        var mappings = cluster["nodes"]!.AsArray().SelectMany(n => n!["extraPortMappings"]?.AsArray() ?? []).ToList();
        Assert.All(mappings, m => Assert.Equal("127.0.0.1", m!["listenAddress"]!.GetValue<string>()));
        var published = mappings.ToDictionary(m => m!["containerPort"]!.GetValue<long>(), m => m!["hostPort"]!.GetValue<long>());
        // The chart's NodePorts (infra/values/kind.yaml) are the ones the cluster maps: Grafana 3000, Prometheus 9090.
        Assert.Equal(3000, published[values["grafana"]!["service"]!["nodePort"]!.GetValue<long>()]);
        Assert.Equal(9090, published[values["prometheus"]!["service"]!["nodePort"]!.GetValue<long>()]);
        Assert.Equal("NodePort", values["grafana"]!["service"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_kind_values_file_renders_with_both_helm_versions()
    {
        foreach (var helm in RequiredTool.HelmVersions)
        {
            var rendering = await PlatformChart.RenderWithAsync(helm, "--values", Path.Combine(InfraDirectory, "values", "kind.yaml"));

            Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
            Assert.Equal(30300, rendering.Single("Service", "platform-grafana").Spec!["ports"]![0]!["nodePort"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task The_infra_yaml_files_pass_yamllint()
    {
        var yamllint = RequiredTool.Find("yamllint");
        var files = Directory.GetFiles(InfraDirectory, "*.yaml", SearchOption.AllDirectories);

        var result = await ToolRun.RunAsync(yamllint, ["--strict", "--config-data", "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}", .. files]);

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    /// <summary>
    /// Runs a script with a PATH of fake docker/kind/minikube/kubectl/helm that record any call, so a dry run that
    /// ran something would show it. Returns the result and the recorded calls.
    /// </summary>
    private static async Task<(ToolResult Result, IReadOnlyList<string> Invoked)> DryRunAsync(
        string[] arguments, bool installFakes = true, IReadOnlyDictionary<string, string>? environment = null)
    {
        var bin = Directory.CreateTempSubdirectory("platform-infra-fakes-").FullName;
        var log = Path.Combine(bin, "invoked.log");
        try
        {
            File.WriteAllText(log, "");
            if (installFakes)
            {
                foreach (var tool in new[] { "docker", "kind", "minikube", "kubectl", "helm" })
                {
                    var fake = Path.Combine(bin, tool);
                    File.WriteAllText(fake, $"#!/bin/sh\necho \"{tool} $*\" >> '{log}'\nexit 0\n");
                    File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
            // PATH holds the fakes and the few system tools the scripts use, nothing else: a real docker, kind or
            // helm on this machine can neither be called nor make a "missing tool" test pass by accident.
            var system = Path.Combine(bin, "system");
            Directory.CreateDirectory(system);
            foreach (var tool in new[] { "bash", "sh", "dirname", "basename", "awk", "sed", "grep", "date", "cat", "sleep" })
            {
                var real = ToolLocator.Find(tool) ?? throw new InvalidOperationException($"{tool} is not on PATH");
                File.CreateSymbolicLink(Path.Combine(system, tool), real);
            }
            var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
            {
                ["PATH"] = $"{bin}:{system}",
            };
            var result = await ToolRun.RunAsync("/bin/bash", [Path.Combine(InfraDirectory, arguments[0]), .. arguments[1..]], env);
            var invoked = File.ReadAllLines(log);
            return (result, invoked);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*(\$KUBECTL|""\$KUBECTL""|\$HELM|""\$HELM""|kubectl|helm)\s")]
    private static partial Regex BareCall();
}
