using k8s.Models;
using Platform.Operator.Api;

namespace Platform.Operator.Tests.Kubernetes;

internal static class TestSupport
{
    public static V1Deployment Deployment(string ns, string name, int replicas = 1, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels ?? new() { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
        },
    };

    /// <summary>An autoscaler of the Deployment of the same name; <paramref name="evaluationIntervalSeconds"/> stands for any spec change.</summary>
    public static ThreadPoolAutoscaler Autoscaler(string ns, string name, int evaluationIntervalSeconds = 15) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new ThreadPoolAutoscalerSpec { TargetRef = new TargetReference { Name = name }, EvaluationIntervalSeconds = evaluationIntervalSeconds },
    };

    /// <summary>A time as it comes back from the API: MicroTime precision (the client writes six fractional digits), in UTC.</summary>
    public static DateTime Microseconds(DateTimeOffset time) => time.UtcDateTime.AddTicks(-(time.Ticks % 10));

    /// <summary>Polls <paramref name="condition"/> every 10 ms; fails the test after <paramref name="timeout"/> (default 10 s).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>A temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("platform-kube-").FullName;

    public string Write(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A script the owner may run (as a kubeconfig's exec credential plugin is).</summary>
    public string WriteExecutable(string name, string content)
    {
        var path = Write(name, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
