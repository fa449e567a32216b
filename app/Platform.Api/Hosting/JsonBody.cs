using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Hosting;

/// <summary>
/// Reads a small JSON body with explicit errors: wrong content type (415), too large (413), malformed
/// or mistyped JSON (400, saying where). Default binding would answer all of these with a bare 400.
/// Kestrel's endpoints and the control listener share the rules and the wording.
/// </summary>
internal static class JsonBody
{
    public const int MaxBytes = 16 * 1024;
    public const string RejectedTitle = "The request body was rejected.";
    public const string NotJson = "The body must be JSON (Content-Type: application/json).";

    public static string TooLarge(int maxBytes) => $"The body must be at most {maxBytes} bytes.";

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, NotJson));
        }
        if (request.ContentLength > MaxBytes)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, TooLarge(MaxBytes)));
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }
        try
        {
            var value = await request.ReadFromJsonAsync<T>(cancellationToken);
            return value is null ? (null, Problem(StatusCodes.Status400BadRequest, NullBody)) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, Invalid(ex)));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problem(ex.StatusCode, ex.Message));
        }
    }

    /// <summary>The same rules for a body already in memory: the value, or the 400 detail.</summary>
    public static (T? Value, string? Error) Deserialize<T>(ReadOnlySpan<byte> utf8, JsonSerializerOptions options)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize<T>(utf8, options);
            return value is null ? (null, NullBody) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Invalid(ex));
        }
    }

    private const string NullBody = "The body must be a JSON object, not null.";

    private static string Invalid(JsonException ex) => $"The body is not valid JSON for this request: {ex.Message}";

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(statusCode: status, title: RejectedTitle, detail: detail);
}
