using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Api.Tests.Infrastructure;
using Platform.Api.ThreadPoolControl;

namespace Platform.Api.Tests;

public sealed class AdminThreadPoolTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Without_a_token_the_admin_endpoint_is_401_with_a_bearer_challenge()
    {
        var response = await api.Client.GetAsync("/admin/threadpool", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("Bearer wrong-token-wrong-token-00")]
    [InlineData("Bearer test-admin-token-012345678")]
    [InlineData("Bearer test-admin-token-01234567890")]
    [InlineData("Basic dGVzdC1hZG1pbi10b2tlbi0wMTIzNDU2Nzg5")]
    [InlineData("Bearer ")]
    public async Task A_wrong_token_or_scheme_is_401_for_reads_and_writes(string authorization)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/admin/threadpool");
        get.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var put = new HttpRequestMessage(HttpMethod.Put, "/admin/threadpool") { Content = JsonContent.Create(new { minWorkerThreads = 7 }) };
        put.Headers.TryAddWithoutValidation("Authorization", authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client.SendAsync(get, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client.SendAsync(put, TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Get_reports_the_pool_as_the_runtime_sees_it()
    {
        using var admin = api.Factory.CreateAdminClient();

        var snapshot = await (await admin.GetAsync("/admin/threadpool", TestContext.Current.CancellationToken)).ReadAsync<ThreadPoolSnapshot>();

        ThreadPool.GetMaxThreads(out var maxWorker, out var maxIo);
        Assert.Equal((maxWorker, maxIo), (snapshot.MaxWorkerThreads, snapshot.MaxIoThreads));
        Assert.True(snapshot.MinWorkerThreads >= 1);
        Assert.True(snapshot.ThreadCount >= 1);
        Assert.True(snapshot.CompletedWorkItems > 0);
        Assert.Equal(Environment.ProcessorCount, snapshot.ProcessorCount);
        Assert.Equal(1000, snapshot.MinThreadsCap);
    }

    [Fact]
    public async Task Put_changes_min_threads_and_reports_the_applied_values()
    {
        using var admin = api.Factory.CreateAdminClient();
        ThreadPool.GetMinThreads(out var originalWorker, out var originalIo);
        try
        {
            var response = await admin.PutAsJsonAsync("/admin/threadpool", new { minWorkerThreads = originalWorker + 13 }, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var applied = await response.ReadAsync<ThreadPoolSnapshot>();
            Assert.Equal(originalWorker + 13, applied.MinWorkerThreads);
            Assert.Equal(originalIo, applied.MinIoThreads);
            ThreadPool.GetMinThreads(out var nowWorker, out _);
            Assert.Equal(originalWorker + 13, nowWorker);

            var metrics = await api.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Contains("platform_thread_pool_admin_changes_total{result=\"applied\"}", metrics);
        }
        finally
        {
            ThreadPool.SetMinThreads(originalWorker, originalIo);
        }
    }

    [Theory]
    [InlineData("""{"minWorkerThreads":0}""", "minWorkerThreads")]
    [InlineData("""{"minWorkerThreads":-4}""", "minWorkerThreads")]
    [InlineData("""{"minWorkerThreads":1001}""", "minWorkerThreads")]
    [InlineData("""{"minIoThreads":0}""", "minIoThreads")]
    [InlineData("""{"minIoThreads":5000}""", "minIoThreads")]
    [InlineData("""{}""", "body")]
    [InlineData("""{"minWorkerThreads":null,"minIoThreads":null}""", "body")]
    public async Task Out_of_bounds_values_are_a_400_and_change_nothing(string json, string field)
    {
        using var admin = api.Factory.CreateAdminClient();
        ThreadPool.GetMinThreads(out var worker, out var io);

        var response = await admin.PutAsync("/admin/threadpool", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty(field, out _), body.RootElement.ToString());
        ThreadPool.GetMinThreads(out var workerAfter, out var ioAfter);
        Assert.Equal((worker, io), (workerAfter, ioAfter));
    }

    [Theory]
    [InlineData("""{"minWorkerThreads":"ten"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"minWorkerThreads":3.5}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"minWorkerThreads":99999999999}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"minWorkerThreads":""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""minWorkerThreads=5""", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    public async Task Malformed_bodies_are_problems(string body, string contentType, HttpStatusCode expected)
    {
        using var admin = api.Factory.CreateAdminClient();

        var response = await admin.PutAsync("/admin/threadpool", new StringContent(body, Encoding.UTF8, contentType), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class AdminWithoutTokenTests(AdminWithoutTokenTests.NoToken api) : IClassFixture<AdminWithoutTokenTests.NoToken>
{
    public sealed class NoToken : ApiFixture
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Admin:Token"] = "" };
    }

    [Fact]
    public async Task With_no_token_configured_every_admin_request_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/threadpool");
        request.Headers.Authorization = new("Bearer", "");
        using var withSomething = new HttpRequestMessage(HttpMethod.Get, "/admin/threadpool");
        withSomething.Headers.Authorization = new("Bearer", ApiFactory.AdminToken);

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client.SendAsync(withSomething, TestContext.Current.CancellationToken)).StatusCode);
    }
}

public sealed class AdminCapAboveRuntimeMaxTests(AdminCapAboveRuntimeMaxTests.HighCap api) : IClassFixture<AdminCapAboveRuntimeMaxTests.HighCap>
{
    public sealed class HighCap : ApiFixture
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["ThreadPool:MinThreadsCap"] = "32767" };
    }

    [Fact]
    public async Task A_value_above_the_pools_max_threads_is_a_400_even_under_the_cap()
    {
        using var admin = api.Factory.CreateAdminClient();
        ThreadPool.GetMaxThreads(out _, out var maxIo);

        var response = await admin.PutAsJsonAsync("/admin/threadpool", new { minIoThreads = maxIo + 1 }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("max threads", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
