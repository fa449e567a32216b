using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Platform.Api.ThreadPoolControl;

/// <summary>
/// Accepts <c>Authorization: Bearer &lt;token&gt;</c> when the token equals the configured one.
/// Both sides are hashed first so the comparison takes the same time whatever the input and its length.
/// </summary>
internal sealed class AdminTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AdminOptions> admin) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "AdminToken";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var expected = admin.CurrentValue.Token;
        if (string.IsNullOrEmpty(expected))
        {
            return Task.FromResult(AuthenticateResult.Fail("No admin token is configured."));
        }
        var presented = header.AsSpan(BearerPrefix.Length).Trim();
        if (!CryptographicOperations.FixedTimeEquals(Hash(presented), Hash(expected)))
        {
            return Task.FromResult(AuthenticateResult.Fail("Invalid admin token."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"platform-admin\"";
        return Task.CompletedTask;
    }

    private static byte[] Hash(ReadOnlySpan<char> value) => SHA256.HashData(Encoding.UTF8.GetBytes(value.ToString()));
}
