using System.Net;

namespace Platform.Operator.Kubernetes;

/// <summary>The API server answered with an error; <see cref="Status"/> is its metav1.Status body when it sent one.</summary>
public class KubernetesApiException : Exception
{
    public KubernetesApiException(HttpStatusCode statusCode, Status? status, string message)
        : base(message)
    {
        StatusCode = statusCode;
        Status = status;
    }

    public HttpStatusCode StatusCode { get; }

    public Status? Status { get; }

    /// <summary>The exception for an error response: the distinct types for the cases callers act on.</summary>
    internal static KubernetesApiException For(HttpStatusCode statusCode, Status? status, string message) => statusCode switch
    {
        HttpStatusCode.Conflict when status?.Reason == "AlreadyExists" => new AlreadyExistsException(status, message),
        HttpStatusCode.Conflict => new ConflictException(status, message),
        HttpStatusCode.Gone => new ResourceVersionTooOldException(status, message),
        _ => new KubernetesApiException(statusCode, status, message),
    };
}

/// <summary>409 Conflict: the object changed since the resourceVersion that was sent; re-read and retry.</summary>
public sealed class ConflictException(Status? status, string message)
    : KubernetesApiException(HttpStatusCode.Conflict, status, message);

/// <summary>409 AlreadyExists: a create found an object of that name.</summary>
public sealed class AlreadyExistsException(Status? status, string message)
    : KubernetesApiException(HttpStatusCode.Conflict, status, message);

/// <summary>
/// 410 Gone (reason Expired): the resourceVersion of a watch, or the continue token of a list, is older than the
/// server keeps history for. Either as the HTTP status of the request or as a watch ERROR event; relist.
/// </summary>
public sealed class ResourceVersionTooOldException(Status? status, string message)
    : KubernetesApiException(HttpStatusCode.Gone, status, message);
