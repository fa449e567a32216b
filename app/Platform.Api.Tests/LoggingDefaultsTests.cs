using System.Text.RegularExpressions;
using Platform.Testing;

namespace Platform.Api.Tests;

/// <summary>
/// The API's log as the image runs it: its own process started in the folder that holds Platform.Api.dll and
/// appsettings.json (the image's working directory), the console logger, and no logging settings in the
/// environment. Probes, scrapes and requests that call the downstream through the HttpClient (the API itself,
/// when no downstream is configured) write no Information lines; the API's own Information lines remain.
/// </summary>
public sealed partial class LoggingDefaultsTests
{
    [Fact]
    public async Task By_default_requests_probes_and_httpclient_calls_write_no_information_lines()
    {
        var cancel = TestContext.Current.CancellationToken;
        var data = Directory.CreateTempSubdirectory("platform-api-logging-").FullName;
        var port = FreeTcpPort.Next();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Sqlite",
            ["Database__ConnectionString"] = $"Data Source={Path.Combine(data, "platform.db")}",
            ["Admin__Token"] = ApiProcess.AdminToken,
            ["Control__Port"] = FreeTcpPort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Control__Address"] = "127.0.0.1",
        };
        try
        {
            await using var api = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Platform.Api.dll"), "--urls", $"http://127.0.0.1:{port}"],
                env, workingDirectory: AppContext.BaseDirectory);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            var ready = false;
            while (!ready && DateTime.UtcNow < deadline && !api.HasExited)
            {
                try
                {
                    ready = (await client.GetAsync("healthz/ready", cancel)).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, cancel);
                }
            }
            Assert.True(ready, $"the API did not become ready:\n{api.RecentOutput}");

            for (var i = 0; i < 5; i++)
            {
                foreach (var path in new[] { "healthz/live", "healthz/ready", "io/http/async?ms=5", "io/delay/async?ms=1", "metrics" })
                {
                    using var response = await client.GetAsync(path, cancel);
                    Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
                }
            }
            await Task.Delay(500, cancel);

            var output = api.RecentOutput;
            var categories = InformationLine().Matches(output).Select(m => m.Groups["category"].Value).ToList();
            // The logger does write Information: the API's own start-up lines.
            Assert.Contains(categories, c => c.StartsWith("Platform.", StringComparison.Ordinal));
            var chatter = categories.Where(c => c.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal)
                || c.StartsWith("System.Net.Http.HttpClient.", StringComparison.Ordinal)).ToList();
            Assert.True(chatter.Count == 0, $"request or HttpClient lines at Information:\n{output}");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    // The console logger's first line of an entry: "info: Category[EventId]".
    [GeneratedRegex(@"^info: (?<category>[^\[\s]+)\[", RegexOptions.Multiline)]
    private static partial Regex InformationLine();
}
