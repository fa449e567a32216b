using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Platform.Operator.Kubernetes;

namespace Platform.Operator.Tests.Kubernetes;

/// <summary>The client trusts exactly the configured CA, and still checks the server's name (which the library alone would not).</summary>
public sealed class TlsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_server_is_trusted_with_its_CA_and_refused_with_another_or_the_system_store()
    {
        using var authority = TestCertificates.CreateAuthority("cluster-ca");
        using var stranger = TestCertificates.CreateAuthority("other-ca");
        await using var server = await FakeApiServer.StartAsync(TestCertificates.CreateServerCertificate(authority));

        Assert.Null(await GetAsync(server, [authority]));
        await AssertRefusedAsync(server, [stranger]);
        await AssertRefusedAsync(server, null);
    }

    [Fact]
    public async Task A_certificate_from_the_right_CA_for_another_host_name_is_refused()
    {
        using var authority = TestCertificates.CreateAuthority("cluster-ca");
        await using var server = await FakeApiServer.StartAsync(TestCertificates.CreateServerCertificate(authority, dnsName: "elsewhere.example"));

        await AssertRefusedAsync(server, [authority]);
    }

    private static async Task<V1Deployment?> GetAsync(FakeApiServer server, X509Certificate2[]? authorities)
    {
        using var client = new KubernetesApiClient(new KubernetesClientConfiguration
        {
            Host = server.BaseAddress.ToString(),
            AccessToken = FakeApiServer.DefaultToken,
            SslCaCerts = authorities is null ? null : [.. authorities],
        });
        return await client.GetDeploymentAsync("shop", "web", Cancel);
    }

    private static async Task AssertRefusedAsync(FakeApiServer server, X509Certificate2[]? authorities)
    {
        var answered = server.Requests.Count;
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(server, authorities));
        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Equal(answered, server.Requests.Count);
    }
}
