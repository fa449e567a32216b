using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Platform.Operator.Signals;

namespace Platform.Operator.Actuators;

/// <summary>What a pod said after a push: the min worker threads it actually holds, or why we don't know.</summary>
/// <param name="Applied">The value the pod reports now (after a 409 refusal, the forced value).</param>
/// <param name="Refused">The runtime refused the change (min threads forced by configuration).</param>
public sealed record PushResult(string Pod, int? Applied, bool Refused, string? Error)
{
    public bool Succeeded => Error is null && !Refused;
}

/// <summary>
/// Raises or lowers min threads inside running pods through their authenticated
/// PUT /admin/threadpool. Environment variables or a ConfigMap would need a restart or a minute of
/// kubelet sync; the admin endpoint takes effect at once and reports what the runtime applied.
/// </summary>
public sealed class MinThreadsActuator(HttpClient http)
{
    public async Task<PushResult> PushAsync(PodTarget pod, int minWorkerThreads, string token, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(pod.AdminBaseUri, "admin/threadpool"))
            {
                Content = JsonContent.Create(new { minWorkerThreads }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => new PushResult(pod.Name, ReadMinWorkerThreads(body, fromProblem: false), false, null),
                HttpStatusCode.Conflict => new PushResult(pod.Name, ReadMinWorkerThreads(body, fromProblem: true), true, "the runtime refused: min threads are forced by runtime configuration"),
                HttpStatusCode.Unauthorized => new PushResult(pod.Name, null, false, "401: the admin token was not accepted"),
                _ => new PushResult(pod.Name, null, false, $"{(int)response.StatusCode}: {Truncate(body)}"),
            };
        }
        catch (HttpRequestException ex)
        {
            return new PushResult(pod.Name, null, false, ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PushResult(pod.Name, null, false, "timed out");
        }
    }

    private static int? ReadMinWorkerThreads(string body, bool fromProblem)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = fromProblem && json.RootElement.TryGetProperty("threadPool", out var pool) ? pool : json.RootElement;
            return root.TryGetProperty("minWorkerThreads", out var value) && value.TryGetInt32(out var n) ? n : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}

/// <summary>
/// Brings every ready pod to the desired min threads: pushes only to pods that report a different value
/// (new pods, restarted pods, pods that missed a push), so steady state costs no admin calls.
/// </summary>
public sealed class MinThreadsRollout(MinThreadsActuator actuator)
{
    public async Task<IReadOnlyList<PushResult>> ConvergeAsync(
        IReadOnlyList<PodTarget> pods,
        IReadOnlyDictionary<string, int?> reported,
        int desired,
        string token,
        CancellationToken cancellationToken)
    {
        var pushes = pods.Select(pod => reported.GetValueOrDefault(pod.Name) == desired
            ? Task.FromResult(new PushResult(pod.Name, desired, false, null))
            : actuator.PushAsync(pod, desired, token, cancellationToken));
        return await Task.WhenAll(pushes);
    }
}
