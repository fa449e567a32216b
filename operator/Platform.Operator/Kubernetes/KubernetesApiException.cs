using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Platform.Operator.Kubernetes;

/// <summary>The API server answered with an error; <see cref="Status"/> is its metav1.Status body when it sent one.</summary>
public class KubernetesApiException : Exception
{
    public KubernetesApiException(HttpStatusCode statusCode, V1Status? status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Status = status;
    }

    public HttpStatusCode StatusCode { get; }

    public V1Status? Status { get; }

    /// <summary>The exception for an error response: the distinct types for the cases callers act on.</summary>
    internal static KubernetesApiException For(HttpStatusCode statusCode, V1Status? status, string message, Exception? innerException = null) => statusCode switch
    {
        HttpStatusCode.Conflict when status?.Reason == "AlreadyExists" => new AlreadyExistsException(status, message, innerException),
        HttpStatusCode.Conflict => new ConflictException(status, message, innerException),
        HttpStatusCode.Gone => new ResourceVersionTooOldException(status, message, innerException),
        _ => new KubernetesApiException(statusCode, status, message, innerException),
    };

    /// <summary>
    /// The client's error for a non-success answer, in this vocabulary: "PUT /apis/…/status failed: 409 Conflict: …",
    /// with the server's Status when the body is one (a proxy's HTML page is quoted instead, cut at 200 characters).
    /// </summary>
    internal static KubernetesApiException From(HttpOperationException error)
    {
        var body = error.Response?.Content ?? "";
        V1Status? status = null;
        try
        {
            status = body.Length > 0 ? KubernetesJson.Deserialize<V1Status>(body) : null;
        }
        catch (JsonException)
        {
            // Not a Status: the raw body goes into the message instead.
        }

        var code = error.Response?.StatusCode ?? 0;
        var request = error.Request is { } sent ? $"{sent.Method} {sent.RequestUri?.AbsolutePath}" : "A request";
        var detail = status?.Message ?? (body.Length > 200 ? body[..200] + "…" : body);
        return For(code, status, $"{request} failed: {(int)code} {status?.Reason ?? error.Response?.ReasonPhrase}: {detail}", error);
    }
}

/// <summary>409 Conflict: the object changed since the resourceVersion that was sent; re-read and retry.</summary>
public sealed class ConflictException(V1Status? status, string message, Exception? innerException = null)
    : KubernetesApiException(HttpStatusCode.Conflict, status, message, innerException);

/// <summary>409 AlreadyExists: a create found an object of that name.</summary>
public sealed class AlreadyExistsException(V1Status? status, string message, Exception? innerException = null)
    : KubernetesApiException(HttpStatusCode.Conflict, status, message, innerException);

/// <summary>
/// 410 Gone (reason Expired): the resourceVersion of a watch, or the continue token of a list, is older than the
/// server keeps history for. Either as the HTTP status of the request or as a watch ERROR event; relist.
/// </summary>
public sealed class ResourceVersionTooOldException(V1Status? status, string message, Exception? innerException = null)
    : KubernetesApiException(HttpStatusCode.Gone, status, message, innerException);
