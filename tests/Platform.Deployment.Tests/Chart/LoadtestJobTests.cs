using Platform.Deployment.Tests.Infrastructure;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The k6 Job as infra/loadtest.sh renders it, once per run: a name of its own per testId, kept by Helm when a
/// later run's upgrade no longer renders it (so its pod and log stay), and deleted by Kubernetes only after
/// loadtest.ttlSecondsAfterFinished.
/// </summary>
public sealed class LoadtestJobTests
{
    private static async Task<KubeObject> JobAsync(string helm, params string[] values)
    {
        var rendering = await PlatformChart.RenderWithAsync(helm, ["--values", PlatformChart.ValuesFile("loadtest-job"), .. values]);
        Assert.True(rendering.Result.ExitCode == 0, rendering.Result.Describe());
        return Assert.Single(rendering.OfKind("Job"));
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task Each_testId_is_its_own_Job_that_a_later_upgrade_keeps(string helm)
    {
        var first = await JobAsync(helm, "--set-string", "loadtest.testId=mixed-20260101120000");
        var second = await JobAsync(helm, "--set-string", "loadtest.testId=mixed-20260101130000");

        Assert.Equal("platform-k6-mixed-20260101120000", first.Name);
        Assert.Equal("platform-k6-mixed-20260101130000", second.Name);
        Assert.Equal("mixed-20260101120000", first.Labels["platform.dev/testid"]);
        foreach (var job in new[] { first, second })
        {
            Assert.Equal("keep", job.Annotations["helm.sh/resource-policy"]);
            Assert.False(job.IsHook, "a hook Job would be deleted by its hook policy, not kept");
        }
    }

    [Theory]
    [MemberData(nameof(PlatformChart.HelmVersions), MemberType = typeof(PlatformChart))]
    public async Task The_Job_is_deleted_ttlSecondsAfterFinished_after_it_finished_as_the_value_says(string helm)
    {
        var byDefault = await JobAsync(helm);
        var set = await JobAsync(helm, "--set", "loadtest.ttlSecondsAfterFinished=600");

        Assert.Equal(86400, byDefault.Spec!["ttlSecondsAfterFinished"]!.GetValue<long>());
        Assert.Equal(600, set.Spec!["ttlSecondsAfterFinished"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_schema_refuses_a_negative_ttl()
    {
        var rendering = await PlatformChart.RenderWithAsync(RequiredTool.Helm3, "--values", PlatformChart.ValuesFile("loadtest-job"),
            "--set", "loadtest.ttlSecondsAfterFinished=-1");

        Assert.NotEqual(0, rendering.Result.ExitCode);
        Assert.Contains("ttlSecondsAfterFinished", rendering.Result.StandardError);
    }
}
