using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Hosting;

/// <summary>
/// Reads a small JSON body with explicit errors: wrong content type (415), too large (413), malformed
/// or mistyped JSON (400, saying where). Default binding would answer all of these with a bare 400.
/// </summary>
internal static class JsonBody
{
    public const int MaxBytes = 16 * 1024;

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "The body must be JSON (Content-Type: application/json)."));
        }
        if (request.ContentLength > MaxBytes)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, $"The body must be at most {MaxBytes} bytes."));
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }
        try
        {
            var value = await request.ReadFromJsonAsync<T>(cancellationToken);
            return value is null
                ? (null, Problem(StatusCodes.Status400BadRequest, "The body must be a JSON object, not null."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, $"The body is not valid JSON for this request: {ex.Message}"));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problem(ex.StatusCode, ex.Message));
        }
    }

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(statusCode: status, title: "The request body was rejected.", detail: detail);
}
