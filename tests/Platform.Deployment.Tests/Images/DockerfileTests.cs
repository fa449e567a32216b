using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Platform.Testing;

namespace Platform.Deployment.Tests.Images;

/// <summary>
/// The images cannot be built here (no Docker engine), so their Dockerfiles are read: two stages, the SDK only in
/// the build stage, a non-root user, only the projects an image needs copied, the publish output and the entry
/// point consistent, the ports the chart uses exposed; and a .dockerignore that keeps build output out.
/// </summary>
public sealed partial class DockerfileTests
{
    /// <summary>Each image: its Dockerfile, the project it publishes, the folders the build needs (the project and its references).</summary>
    private static readonly (string Dockerfile, string Project, string[] Folders)[] ImageSpecs =
    [
        ("app/Platform.Api/Dockerfile", "app/Platform.Api/Platform.Api.csproj", ["app/Platform.Api", "shared/Platform.Metrics"]),
        ("operator/Platform.Operator/Dockerfile", "operator/Platform.Operator/Platform.Operator.csproj", ["operator/Platform.Operator", "shared/Platform.Metrics"]),
    ];

    public static TheoryData<string> Dockerfiles => new(ImageSpecs.Select(i => i.Dockerfile));

    private static (string Dockerfile, string Project, string[] Folders) Spec(string dockerfile) => ImageSpecs.Single(i => i.Dockerfile == dockerfile);

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_image_is_built_with_the_sdk_and_runs_on_the_aspnet_runtime_only(string dockerfile)
    {
        var stages = Stages(dockerfile);

        Assert.Equal(2, stages.Count);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:", stages[0].Image);
        Assert.Equal("build", stages[0].Name);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/aspnet:", stages[^1].Image);
        Assert.DoesNotContain(stages[^1].Lines, l => l.StartsWith("RUN ", StringComparison.Ordinal));
        // The final stage takes only the published output from the build stage: no sources, no SDK.
        var copies = stages[^1].Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).ToList();
        var copy = Assert.Single(copies);
        Assert.StartsWith("COPY --from=build ", copy);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_pinned_dotnet_versions_satisfy_global_json_and_the_target_framework(string dockerfile)
    {
        var text = File.ReadAllText(RepositoryPaths.Combine(dockerfile));
        var sdk = ArgValue(text, "DOTNET_SDK_VERSION");
        var runtime = ArgValue(text, "DOTNET_RUNTIME_VERSION");
        var globalJson = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("global.json")))!;
        var required = Version.Parse(globalJson["sdk"]!["version"]!.GetValue<string>());
        var targetFramework = XDocument.Load(RepositoryPaths.Combine("Directory.Build.props")).Descendants("TargetFramework").Single().Value;

        // Exact versions, not floating tags: the build is reproducible until someone moves them on purpose.
        Assert.Matches(@"^\d+\.\d+\.\d+$", sdk);
        Assert.Matches(@"^\d+\.\d+\.\d+$", runtime);
        var sdkVersion = Version.Parse(sdk!);
        Assert.True(sdkVersion.Major == required.Major && sdkVersion.Minor == required.Minor && sdkVersion >= required,
            $"SDK {sdk} does not satisfy global.json {required} (rollForward latestFeature)");
        Assert.Equal($"net{Version.Parse(runtime!).Major}.{Version.Parse(runtime!).Minor}", targetFramework);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_SDK_VERSION} AS build", text);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_RUNTIME_VERSION} AS final", text);
        // Both images move together.
        var other = ImageSpecs.Select(i => i.Dockerfile).Single(d => d != dockerfile);
        Assert.Equal(sdk, ArgValue(File.ReadAllText(RepositoryPaths.Combine(other)), "DOTNET_SDK_VERSION"));
        Assert.Equal(runtime, ArgValue(File.ReadAllText(RepositoryPaths.Combine(other)), "DOTNET_RUNTIME_VERSION"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_image_runs_as_the_non_root_app_user_and_exposes_8080(string dockerfile)
    {
        var final = Stages(dockerfile)[^1];

        Assert.Equal("USER $APP_UID", final.Lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Contains("EXPOSE 8080", final.Lines);
        Assert.DoesNotContain(final.Lines, l => l.StartsWith("USER root", StringComparison.Ordinal) || l == "USER 0");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_build_copies_the_build_settings_and_exactly_the_projects_it_publishes(string dockerfile)
    {
        var (_, project, folders) = Spec(dockerfile);
        var build = Stages(dockerfile)[0];
        var copied = build.Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();

        Assert.DoesNotContain(".", copied);
        Assert.DoesNotContain("./", copied);
        foreach (var source in copied)
        {
            Assert.True(File.Exists(RepositoryPaths.Combine(source)) || Directory.Exists(RepositoryPaths.Combine(source)), $"{dockerfile}: COPY {source} does not exist");
        }
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Assert.Contains(file, copied);
        }
        Assert.Equal(folders.Order(StringComparer.Ordinal), ProjectClosure(project).Order(StringComparer.Ordinal));
        foreach (var folder in folders)
        {
            Assert.Contains($"{folder}/", copied);
        }
        Assert.Equal(folders.Length, copied.Count(c => c.EndsWith('/')));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_publish_output_is_what_the_final_stage_copies_and_runs(string dockerfile)
    {
        var project = Spec(dockerfile).Project;
        var stages = Stages(dockerfile);
        var publish = string.Join(' ', stages[0].Lines.Where(l => l.Contains("dotnet publish", StringComparison.Ordinal)));
        var output = OutputOption().Match(publish).Groups[1].Value;
        var assembly = Path.GetFileNameWithoutExtension(project);

        Assert.Contains(project, publish);
        Assert.Contains("--configuration Release", publish);
        Assert.Contains($"COPY --from=build {output} ./", stages[^1].Lines);
        Assert.Equal("WORKDIR /app", stages[^1].Lines.Last(l => l.StartsWith("WORKDIR ", StringComparison.Ordinal)));
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]", stages[^1].Lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)));
        // The assembly name the entry point runs is the one the project builds.
        var assemblyName = XDocument.Load(RepositoryPaths.Combine(project)).Descendants("AssemblyName").SingleOrDefault()?.Value ?? assembly;
        Assert.Equal(assembly, assemblyName);
    }

    [Fact]
    public void The_dockerignore_keeps_build_output_tools_packages_and_history_out_of_the_context()
    {
        var patterns = File.ReadAllLines(RepositoryPaths.Combine(".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();

        foreach (var required in new[] { "**/bin/", "**/obj/", ".git/", ".tools/", "**/node_modules/", "artifacts/", "**/TestResults/" })
        {
            Assert.Contains(required, patterns);
        }
        // Nothing an image needs is ignored.
        foreach (var needed in ImageSpecs.SelectMany(i => i.Folders).Concat(["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig"]))
        {
            Assert.DoesNotContain(needed, patterns);
            Assert.DoesNotContain($"{needed}/", patterns);
            Assert.DoesNotContain($"{needed.Split('/')[0]}/", patterns);
        }
    }

    private sealed record Stage(string Image, string? Name, List<string> Lines);

    /// <summary>The stages of a Dockerfile, with continuation lines joined and comments dropped.</summary>
    private static List<Stage> Stages(string dockerfile)
    {
        var text = File.ReadAllText(RepositoryPaths.Combine(dockerfile)).Replace("\\\n", " ", StringComparison.Ordinal);
        var stages = new List<Stage>();
        foreach (var raw in text.Split('\n'))
        {
            var line = Regex.Replace(raw.Trim(), @"\s+", " ");
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (From().Match(line) is { Success: true } from)
            {
                stages.Add(new Stage(from.Groups[1].Value, from.Groups[2].Success ? from.Groups[2].Value : null, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Lines.Add(line);
            }
        }
        return stages;
    }

    private static string? ArgValue(string text, string name) =>
        Regex.Match(text, $@"^ARG {name}=(\S+)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The folders of a project and of every project it references, transitively, relative to the repository.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var folders = new HashSet<string>();
        var pending = new Stack<string>([RepositoryPaths.Combine(project)]);
        while (pending.TryPop(out var path))
        {
            if (!folders.Add(Path.GetRelativePath(RepositoryPaths.Root, Path.GetDirectoryName(path)!).Replace('\\', '/')))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }
        }
        return folders;
    }

    [GeneratedRegex(@"^FROM (\S+)(?: AS (\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex From();

    [GeneratedRegex(@"--output (\S+)")]
    private static partial Regex OutputOption();
}
