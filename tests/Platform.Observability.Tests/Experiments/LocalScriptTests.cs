using System.Text.RegularExpressions;
using Platform.Observability.Tests.LoadTests;
using Platform.Testing;

namespace Platform.Observability.Tests.Experiments;

/// <summary>loadtests/local.sh: shellcheck-clean, the experiments it offers are the ones there are, and a bad name is one line.</summary>
public sealed partial class LocalScriptTests
{
    private static string LocalSh => Path.Combine(K6Scripts.Folder, "local.sh");

    [Fact]
    public async Task Local_sh_is_shellcheck_clean()
    {
        var shellcheck = ToolLocator.Find("shellcheck");
        if (shellcheck is null)
        {
            Assert.SkipWhen(!ToolLocator.IsCi, "shellcheck is not installed (Debian package 'shellcheck').");
            Assert.Fail("shellcheck is not installed (Debian package 'shellcheck').");
        }
        var (exitCode, output) = await ChildProcess.RunAsync(shellcheck, [LocalSh], cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void It_offers_exactly_the_planned_experiments_each_with_a_test_and_a_script()
    {
        var offered = Experiments().Match(File.ReadAllText(LocalSh)).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(ExperimentPlans.Names, offered);
        var traits = typeof(ExperimentTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(TraitAttribute), false).Cast<TraitAttribute>())
            .Where(t => t.Name == "Experiment").Select(t => t.Value);
        Assert.Equal(ExperimentPlans.Names.Order(), traits.Order());
        Assert.All(offered, name => Assert.True(File.Exists(Path.Combine(K6Scripts.Folder, name + ".js")), name));
    }

    [Fact]
    public async Task An_unknown_experiment_is_one_line_naming_the_choices_and_exit_2()
    {
        var (exitCode, output) = await ChildProcess.RunAsync("bash", [LocalSh, "no-such-experiment"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("local.sh: no local experiment 'no-such-experiment'; choose one of: starvation-burst cpu-scaleout mixed", line);
    }

    [GeneratedRegex(@"^experiments=\(([^)]*)\)$", RegexOptions.Multiline)]
    private static partial Regex Experiments();
}
