using Platform.Operator.Hosting;

namespace Platform.Operator.Tests.Hosting;

/// <summary>Command-line mistakes get one clear line and exit code 2, never a stack trace.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "--local" }, "at least one --target")]
    [InlineData(new[] { "--local", "--target", "not a url" }, "is not an absolute http(s) URL")]
    [InlineData(new[] { "--local", "--target", "ftp://x" }, "is not an absolute http(s) URL")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--prometheus-url", "nope" }, "--prometheus-url")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--spec", "/no/such/file.yaml" }, "does not exist")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--admin-token-file", "/no/such/token" }, "does not exist")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--target", "http://127.0.0.1:2", "--metrics-url", "http://127.0.0.1:3/metrics" }, "once per --target")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--cpu-request", "half" }, "--cpu-request 'half' is not a positive CPU quantity")]
    [InlineData(new[] { "--local", "--target", "http://127.0.0.1:1", "--cpu-request", "0" }, "--cpu-request '0' is not a positive CPU quantity")]
    public async Task Usage_errors_are_one_line_and_exit_code_2(string[] args, string expected)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var ran = false;
            var exitCode = await OperatorCommand.Create((_, _) => { ran = true; return Task.FromResult(0); }).Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.Equal(OperatorCommand.UsageError, exitCode);
            Assert.False(ran);
            Assert.Contains(expected, error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [Theory]
    [InlineData("500m", 0.5)]
    [InlineData("0.25", 0.25)]
    [InlineData("2", 2.0)]
    public async Task The_cpu_request_of_local_mode_reads_as_a_pod_spec_writes_it(string quantity, double cores)
    {
        var token = Path.GetTempFileName();
        await File.WriteAllTextAsync(token, "token", TestContext.Current.CancellationToken);
        try
        {
            OperatorSettings? settings = null;
            var exitCode = await OperatorCommand.Create((s, _) => { settings = s; return Task.FromResult(0); })
                .Parse(["--local", "--target", "http://127.0.0.1:1", "--admin-token-file", token, "--cpu-request", quantity]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.Equal(0, exitCode);
            Assert.Equal(cores, settings?.Local?.CpuRequestCores);
        }
        finally
        {
            File.Delete(token);
        }
    }

    [Theory]
    [InlineData("spec:\n  replicas:\n    min: 5\n    max: 2\n", "spec.replicas.min")]
    [InlineData("spec:\n  minThreads:\n    baseline: 0\n", "spec.minThreads.baseline")]
    [InlineData("spec:\n  cpu: [unclosed\n", "could not be read")]
    [InlineData("spec:\n  mode: Sometimes\n", "could not be read")]
    public async Task An_invalid_spec_file_names_what_is_wrong(string body, string expected)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "apiVersion: autoscaling.platform.dev/v1alpha1\nkind: ThreadPoolAutoscaler\nmetadata:\n  name: t\n" + body, TestContext.Current.CancellationToken);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var exitCode = await OperatorCommand.Create((_, _) => Task.FromResult(0))
                .Parse(["--local", "--target", "http://127.0.0.1:1", "--spec", file, "--admin-token-file", file]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.Equal(OperatorCommand.UsageError, exitCode);
            Assert.Contains(expected, error.ToString());
        }
        finally
        {
            Console.SetError(original);
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(null, "does not exist")]
    [InlineData("clusters: [unclosed\n", "cannot be used")]
    [InlineData("current-context: dev\ncontexts: []\n", "has no context 'dev'")]
    [InlineData("current-context: dev\nclusters:\n  - { name: dev, cluster: { server: \"https://127.0.0.1:6443\" } }\ncontexts:\n  - { name: dev, context: { cluster: dev, user: dev } }\nusers:\n  - { name: dev, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: no-such-credential-plugin } } }\n", "external exec failed")]
    public async Task A_kubeconfig_that_cannot_be_used_is_one_line_and_exit_code_2(string? kubeconfig, string expected)
    {
        using var directory = new Kubernetes.TempDirectory();
        var path = kubeconfig is null ? Path.Combine(directory.Path, "absent") : directory.Write("config", kubeconfig);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            // The operator's own entry point: settings from the command line, then the host, which reads the kubeconfig.
            var exitCode = await OperatorCommand.Create(OperatorHost.RunAsync)
                .Parse(["--kubeconfig", path, "--listen", "http://127.0.0.1:0"]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.Equal(OperatorCommand.UsageError, exitCode);
            var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("platform-operator: ", line, StringComparison.Ordinal);
            Assert.Contains(path, line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
