using Platform.Testing;
using System.Net.Http.Json;

namespace Platform.Api.Tests.Infrastructure;

/// <summary>One request of every kind, so that every traffic-dependent metric has a series.</summary>
public static class Traffic
{
    public static async Task ExerciseEverythingAsync(ApiProcess api, CancellationToken cancellationToken)
    {
        string[] gets =
        [
            "/io/delay/async?ms=5", "/io/delay/sync?ms=5", "/io/delay/sync-over-async?ms=5", "/io/delay/task-run?ms=5",
            "/io/http/async?ms=5", "/io/http/sync?ms=5", "/io/http/sync-over-async?ms=5", "/io/http/task-run?ms=5",
            "/db/async?ms=5", "/db/sync?ms=5", "/db/sync-over-async?ms=5", "/db/task-run?ms=5",
            "/db/blob/async?kb=4", "/db/blob/sync?kb=4", "/db/blob/sync-over-async?kb=4", "/db/blob/task-run?kb=4",
            "/cpu/sync?iterations=1000", "/cpu/task-run?iterations=1000",
            "/fanout/sequential?calls=2&ms=5", "/fanout/when-all?calls=2&ms=5",
            "/orders/count", "/io/delay/async?ms=-1", "/io/delay/nope",
        ];
        foreach (var url in gets)
        {
            (await api.Client.GetAsync(url, cancellationToken)).Dispose();
        }
        (await api.Client.PostAsJsonAsync("/orders", new { item = "contract", quantity = 1 }, cancellationToken)).Dispose();
        (await api.Client.SendAsync(api.AdminRequest(HttpMethod.Put, "/admin/threadpool", JsonContent.Create(new { minWorkerThreads = 8 })), cancellationToken)).Dispose();
    }
}
