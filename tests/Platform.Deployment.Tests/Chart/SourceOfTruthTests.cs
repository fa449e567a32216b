using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Deployment.Tests.Infrastructure;
using Platform.Testing;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The dashboards, the Prometheus rules and the k6 scripts exist once, in dashboards/, prometheus/rules/ and
/// loadtests/. The chart reads them through symlinks in files/ and must serve them byte for byte, from the
/// chart directory and from a packaged chart, with helm 3 and helm 4.
/// </summary>
public sealed class SourceOfTruthTests
{
    private static readonly (string Link, string Target)[] Links =
    [
        ("dashboards", "dashboards"),
        ("prometheus-rules", Path.Combine("prometheus", "rules")),
        ("loadtests", "loadtests"),
    ];

    private static string FilesDirectory => Path.Combine(PlatformChart.Directory, "files");

    [Fact]
    public void The_chart_reads_the_sources_through_symlinks_and_holds_no_copy_of_them()
    {
        Assert.Equal(Links.Select(l => l.Link).Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(FilesDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (link, target) in Links)
        {
            var info = new DirectoryInfo(Path.Combine(FilesDirectory, link));
            Assert.True(info.LinkTarget is not null, $"files/{link} must be a symlink, not a copy");
            Assert.False(Path.IsPathRooted(info.LinkTarget), $"files/{link} must be a relative link so every checkout resolves it");
            var resolved = Path.GetFullPath(Path.Combine(FilesDirectory, info.LinkTarget));
            Assert.Equal(RepositoryPaths.Combine(target), resolved);
        }
        // Nothing else in the chart looks like a dashboard, a script or a rules file.
        var strays = Walk(PlatformChart.Directory)
            .Where(f => f.EndsWith(".js", StringComparison.Ordinal) || f.EndsWith(".mjs", StringComparison.Ordinal)
                || (f.EndsWith(".json", StringComparison.Ordinal) && Path.GetFileName(f) != "values.schema.json")
                || (f.EndsWith(".yaml", StringComparison.Ordinal) && !f.StartsWith("templates", StringComparison.Ordinal)
                    && File.ReadLines(Path.Combine(PlatformChart.Directory, f)).Any(l => l.StartsWith("groups:", StringComparison.Ordinal))))
            .ToList();
        Assert.Empty(strays);
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Grafana_provisions_every_dashboard_byte_for_byte(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");

        AssertServes(Sources("dashboards", "*.json"), Data(rendering.Single("ConfigMap", "platform-grafana-dashboards")));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Without_its_Grafana_the_chart_serves_each_dashboard_byte_for_byte_to_the_sidecar(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "external-observability");

        var sidecar = rendering.OfKind("ConfigMap").Where(c => c.Labels.GetValueOrDefault("grafana_dashboard") == "1").ToList();
        Assert.All(sidecar, c => Assert.Equal("Platform", c.Annotations["grafana_folder"]));
        Assert.All(sidecar, c => Assert.Single(Data(c)));
        AssertServes(Sources("dashboards", "*.json"), sidecar.SelectMany(Data).ToDictionary());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Prometheus_loads_every_rules_file_byte_for_byte(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "default");

        AssertServes(Sources(Path.Combine("prometheus", "rules"), "*.yaml"), Data(rendering.Single("ConfigMap", "platform-prometheus-rules")));
        var config = Yaml.Document(Data(rendering.Single("ConfigMap", "platform-prometheus"))["prometheus.yml"])!;
        Assert.Equal("/etc/prometheus/rules/*.yaml", config["rule_files"]![0]!.GetValue<string>());
        var mount = rendering.Single("Deployment", "platform-prometheus").Container("prometheus")["volumeMounts"]!.AsArray()
            .Single(m => m!["name"]!.GetValue<string>() == "rules");
        Assert.Equal("/etc/prometheus/rules", mount!["mountPath"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Every_k6_script_and_lib_file_is_served_byte_for_byte_at_its_own_path(string helm)
    {
        var rendering = await PlatformChart.RenderAsync(helm, "loadtest-job");
        var data = Data(rendering.Single("ConfigMap", "platform-k6-scripts"));
        var sources = K6Sources();

        // Keys cannot hold "/": lib/config.js is stored as lib__config.js and mounted back at lib/config.js.
        AssertServes(sources.ToDictionary(s => s.Key.Replace("/", "__", StringComparison.Ordinal), s => s.Value), data);
        var pods = rendering.Workloads.Where(w => w.Labels["app.kubernetes.io/component"] == "loadtest").ToList();
        Assert.Equal(2, pods.Count); // the Job and the helm test hook
        foreach (var pod in pods)
        {
            var volume = pod.PodSpec!["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "scripts")!["configMap"]!;
            var items = volume["items"]!.AsArray().ToDictionary(i => i!["path"]!.GetValue<string>(), i => i!["key"]!.GetValue<string>());
            Assert.Equal(sources.Keys.Order(StringComparer.Ordinal), items.Keys.Order(StringComparer.Ordinal));
            Assert.All(items, item => Assert.Equal(item.Key.Replace("/", "__", StringComparison.Ordinal), item.Value));
            var mount = pod.Container("k6")["volumeMounts"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "scripts");
            Assert.Equal("/scripts", mount!["mountPath"]!.GetValue<string>());
            var script = pod.Container("k6")["args"]!.AsArray()[^1]!.GetValue<string>();
            Assert.Contains(script["/scripts/".Length..], sources.Keys);
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task A_packaged_chart_carries_the_files_themselves_and_serves_them_byte_for_byte(string helm)
    {
        var tool = RequiredTool.Find(helm);
        var output = Directory.CreateTempSubdirectory("platform-chart-package-").FullName;
        try
        {
            var package = await ToolRun.RunAsync(tool, ["package", PlatformChart.Directory, "--destination", output]);
            Assert.True(package.ExitCode == 0, package.Describe());
            var archive = Assert.Single(Directory.GetFiles(output, "platform-*.tgz"));
            var entries = TarEntries(archive);
            // files/ holds exactly the served sources: nothing else from those folders (node packages, harness, docs)
            // leaks into the package. A new kind of file there needs a line in .helmignore.
            var expected = Sources("dashboards", "*.json").Keys.Select(f => $"platform/files/dashboards/{f}")
                .Concat(Sources(Path.Combine("prometheus", "rules"), "*.yaml").Keys.Select(f => $"platform/files/prometheus-rules/{f}"))
                .Concat(K6Sources().Keys.Select(f => $"platform/files/loadtests/{f}"));
            Assert.Equal(expected.Order(StringComparer.Ordinal), entries.Where(e => e.StartsWith("platform/files/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(entries, e => e.StartsWith("platform/ci/", StringComparison.Ordinal));
            Assert.Contains("platform/values.schema.json", entries);
            Assert.Contains("platform/crds/threadpoolautoscalers.autoscaling.platform.dev.yaml", entries);

            var rendering = await PlatformChart.RenderChartAsync(helm, archive, ["--values", PlatformChart.ValuesFile("loadtest-job")], "packaged");
            Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
            // A packaged chart holds plain files: no symlink notice any more.
            Assert.Empty(rendering.Result.StandardError.Trim());
            AssertServes(Sources("dashboards", "*.json"), Data(rendering.Single("ConfigMap", "platform-grafana-dashboards")));
            AssertServes(Sources(Path.Combine("prometheus", "rules"), "*.yaml"), Data(rendering.Single("ConfigMap", "platform-prometheus-rules")));
            AssertServes(K6Sources().ToDictionary(s => s.Key.Replace("/", "__", StringComparison.Ordinal), s => s.Value), Data(rendering.Single("ConfigMap", "platform-k6-scripts")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task A_dangling_source_link_fails_the_render_instead_of_serving_nothing(string helm)
    {
        // A copy of the chart whose files/ links point nowhere, as in a checkout without the source folders.
        var copy = Directory.CreateTempSubdirectory("platform-chart-dangling-").FullName;
        try
        {
            CopyChartWithoutFiles(PlatformChart.Directory, Path.Combine(copy, "platform"));
            foreach (var (link, _) in Links)
            {
                File.CreateSymbolicLink(Path.Combine(copy, "platform", "files", link), Path.Combine("..", "..", "missing", link));
            }

            var rendering = await PlatformChart.RenderChartAsync(helm, Path.Combine(copy, "platform"), [], "dangling");

            Assert.NotEqual(0, rendering.Result.ExitCode);
            Assert.Contains("symlink", rendering.Result.StandardError, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Every dashboard, scenario and lib file: name (relative to its folder) -> bytes. Never empty.</summary>
    private static Dictionary<string, byte[]> Sources(string folder, string pattern)
    {
        var files = Directory.GetFiles(RepositoryPaths.Combine(folder), pattern).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.True(files.Count > 0, $"{folder}/{pattern} matches nothing: the chart would serve nothing");
        return files;
    }

    private static Dictionary<string, byte[]> K6Sources()
    {
        var scenarios = Sources("loadtests", "*.js");
        var lib = Sources(Path.Combine("loadtests", "lib"), "*.js");
        Assert.Contains("smoke.js", scenarios.Keys);
        return scenarios.Concat(lib.Select(l => KeyValuePair.Create($"lib/{l.Key}", l.Value))).ToDictionary();
    }

    private static Dictionary<string, string> Data(KubeObject configMap) =>
        (configMap.Node["data"] as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());

    private static void AssertServes(IReadOnlyDictionary<string, byte[]> sources, IReadOnlyDictionary<string, string> served)
    {
        Assert.Equal(sources.Keys.Order(StringComparer.Ordinal), served.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in sources)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(served[name])), $"{name}: the chart serves different bytes than the repository holds");
        }
    }

    private static IEnumerable<string> Walk(string directory)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }
            if (entry is DirectoryInfo sub)
            {
                foreach (var file in Walk(sub.FullName))
                {
                    yield return file;
                }
            }
            else
            {
                yield return Path.GetRelativePath(PlatformChart.Directory, entry.FullName);
            }
        }
    }

    private static List<string> TarEntries(string archive)
    {
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }
        return names;
    }

    private static void CopyChartWithoutFiles(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.Name == "files")
            {
                Directory.CreateDirectory(target);
            }
            else if (entry is DirectoryInfo directory)
            {
                CopyChartWithoutFiles(directory.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }
}
