using Platform.Operator.Hosting;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>The chart's CRD as the envtest tier installs it: YAML converted to typed JSON.</summary>
public sealed class CrdManifestTests
{
    [Fact]
    public void The_charts_CRD_converts_to_a_typed_CustomResourceDefinition()
    {
        var crdFile = EnvtestCluster.ChartCrdFile();
        Assert.SkipWhen(crdFile is null, "charts/platform/crds holds no ThreadPoolAutoscaler CRD yet.");

        var crd = Assert.Single(YamlJson.ConvertDocuments(File.ReadAllText(crdFile)))!;

        Assert.Equal("CustomResourceDefinition", (string?)crd["kind"]);
        Assert.Equal("threadpoolautoscalers", (string?)crd["spec"]!["names"]!["plural"]);
        var version = crd["spec"]!["versions"]![0]!;
        Assert.True((bool)version["served"]!);
        Assert.NotNull(version["subresources"]!["status"]);
    }
}
