using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Platform.Testing;

namespace Platform.Deployment.Tests.Infrastructure;

/// <summary>One `helm template` of the chart: the command's result and the objects it printed.</summary>
public sealed record Rendering(string Helm, string Scenario, ToolResult Result, IReadOnlyList<KubeObject> Objects)
{
    public IEnumerable<KubeObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    public KubeObject Single(string kind, string name) =>
        Objects.SingleOrDefault(o => o.Kind == kind && o.Name == name)
        ?? throw new InvalidOperationException($"{Helm}/{Scenario} rendered no {kind}/{name}; it rendered: {string.Join(", ", Objects.Select(o => o.Id))}");

    public KubeObject? Find(string kind, string name) => Objects.SingleOrDefault(o => o.Kind == kind && o.Name == name);

    /// <summary>Objects a workload controller or `helm test` turns into pods.</summary>
    public IEnumerable<KubeObject> Workloads => Objects.Where(o => o.PodTemplate is not null);
}

/// <summary>
/// The chart under test and its install scenarios (charts/platform/ci/*-values.yaml), rendered with real helm 3
/// and helm 4. Renders are cached: many tests look at the same output.
/// </summary>
public static class PlatformChart
{
    public const string Release = "platform";
    public const string Namespace = "platform";

    /// <summary>What every render assumes the cluster serves beyond the built-in APIs: the Prometheus Operator's CRDs.</summary>
    public const string ServiceMonitorApi = "monitoring.coreos.com/v1/ServiceMonitor";

    private static readonly ConcurrentDictionary<string, Lazy<Task<Rendering>>> Cache = new();

    public static string Directory => RepositoryPaths.Combine("charts", "platform");

    public static string CrdFile => Path.Combine(Directory, "crds", "threadpoolautoscalers.autoscaling.platform.dev.yaml");

    /// <summary>Scenario names: ci/NAME-values.yaml.</summary>
    public static IReadOnlyList<string> Scenarios { get; } = System.IO.Directory
        .GetFiles(Path.Combine(RepositoryPaths.Combine("charts", "platform", "ci")), "*-values.yaml")
        .Select(f => Path.GetFileName(f)[..^"-values.yaml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    public static string ValuesFile(string scenario) => Path.Combine(Directory, "ci", $"{scenario}-values.yaml");

    /// <summary>Every non-empty value of a key named existingSecret in a scenario's values: Secrets the user provides.</summary>
    public static IReadOnlySet<string> ExistingSecrets(string scenario)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonNode? node)
        {
            if (node is not JsonObject map) return;
            foreach (var (key, value) in map)
            {
                if (key == "existingSecret" && value is JsonValue v && v.GetValue<string>() is { Length: > 0 } name) found.Add(name);
                Walk(value);
            }
        }
        Walk(Yaml.Document(File.ReadAllText(ValuesFile(scenario))));
        return found;
    }

    /// <summary>Every (helm, scenario) pair.</summary>
    public static TheoryData<string, string> HelmAndScenarios
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var helm in RequiredTool.HelmVersions)
            {
                foreach (var scenario in Scenarios)
                {
                    data.Add(helm, scenario);
                }
            }
            return data;
        }
    }

    public static TheoryData<string> HelmVersions => new(RequiredTool.HelmVersions);

    public static TheoryData<string> ScenarioNames => new(Scenarios);

    /// <summary>`helm template` of a scenario, CRDs included, as if the cluster served ServiceMonitors; fails the test if helm fails.</summary>
    public static async Task<Rendering> RenderAsync(string helm, string scenario)
    {
        var rendering = await Cache.GetOrAdd($"{helm}|{scenario}", _ => new Lazy<Task<Rendering>>(() =>
            RenderUncachedAsync(helm, ["--include-crds", "--values", ValuesFile(scenario), "--api-versions", ServiceMonitorApi], scenario))).Value;
        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        return rendering;
    }

    /// <summary>`helm template` with any extra arguments (not cached, no CRDs unless asked for); the caller checks the exit code.</summary>
    public static Task<Rendering> RenderWithAsync(string helm, params string[] arguments) =>
        RenderUncachedAsync(helm, arguments, string.Join(' ', arguments));

    /// <summary>The arguments of `helm template` for the chart at <paramref name="chart"/>.</summary>
    public static IEnumerable<string> TemplateArguments(string chart, IEnumerable<string> extra) =>
        ["template", Release, chart, "--namespace", Namespace, .. extra];

    public static async Task<Rendering> RenderChartAsync(string helm, string chart, IEnumerable<string> extra, string scenario)
    {
        var tool = RequiredTool.Find(helm);
        var result = await ToolRun.RunAsync(tool, TemplateArguments(chart, extra));
        var objects = result.ExitCode == 0
            ? Yaml.Documents(result.StandardOutput).Select(d => new KubeObject(d as JsonObject
                ?? throw new InvalidOperationException($"a rendered document is not a mapping: {d.ToJsonString()[..Math.Min(200, d.ToJsonString().Length)]}"))).ToList()
            : [];
        return new Rendering(helm, scenario, result, objects);
    }

    private static Task<Rendering> RenderUncachedAsync(string helm, IEnumerable<string> extra, string scenario) =>
        RenderChartAsync(helm, Directory, extra, scenario);
}

/// <summary>What helm prints on stderr about the chart's files/ symlinks, and nothing else is expected there.</summary>
public static class HelmNotices
{
    /// <summary>helm 3: "walk.go:75: found symbolic link in path: A resolves to B. ..."; helm 4: level=INFO msg="found symbolic link in path. ..." path=A resolved=B.</summary>
    public static bool IsSymlinkNotice(string line) => line.Contains("found symbolic link in path", StringComparison.Ordinal);

    /// <summary>The stderr lines that are not symlink notices.</summary>
    public static IReadOnlyList<string> Other(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !IsSymlinkNotice(l)).ToList();
}
