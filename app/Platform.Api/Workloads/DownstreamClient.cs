using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Platform.Api.Workloads;

/// <summary>
/// Calls the downstream dependency's /downstream/delay in each style: async, a blocking Send, and
/// sync-over-async. Goes through IHttpClientFactory so handlers and connections are pooled properly.
/// </summary>
public sealed class DownstreamClient(IHttpClientFactory factory, IOptions<DownstreamOptions> options, IServer server)
{
    public const string HttpClientName = "downstream";

    private Uri? _baseAddress;

    public async Task<int> CallAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var response = await Client().GetAsync(DelayPath(wait), HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    public int CallBlocking(TimeSpan wait)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, DelayPath(wait));
        using var response = Client().Send(request, HttpCompletionOption.ResponseContentRead);
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    public int CallSyncOverAsync(TimeSpan wait)
    {
        // The anti-pattern on purpose: a Task wait on a pool thread.
        using var response = Client().GetAsync(DelayPath(wait)).Result;
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    private HttpClient Client()
    {
        var client = factory.CreateClient(HttpClientName);
        client.BaseAddress = _baseAddress ??= ResolveBaseAddress();
        return client;
    }

    private static string DelayPath(TimeSpan wait) =>
        "downstream/delay?ms=" + ((int)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private Uri ResolveBaseAddress()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.BaseUrl))
        {
            return WithTrailingSlash(options.Value.BaseUrl);
        }
        // No downstream configured: call this very process on the address it listens on.
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Downstream:BaseUrl is not set and the server has no address to call itself on.");
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "127.0.0.1";
        }
        return WithTrailingSlash(uri.Uri.ToString());
    }

    private static Uri WithTrailingSlash(string url) => new(url.EndsWith('/') ? url : url + "/");
}
