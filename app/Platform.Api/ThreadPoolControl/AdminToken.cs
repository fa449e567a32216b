using System.Security.Cryptography;
using System.Text;

namespace Platform.Api.ThreadPoolControl;

/// <summary>
/// The admin credential check, shared by Kestrel's authentication handler and the control listener:
/// <c>Authorization: Bearer &lt;token&gt;</c> equal to the configured token. Both sides are hashed first so
/// the comparison takes the same time whatever the input and its length.
/// </summary>
public static class AdminToken
{
    public const string Challenge = "Bearer realm=\"platform-admin\"";
    private const string BearerPrefix = "Bearer ";

    /// <summary>Whether the header carries a bearer token at all (another scheme is no attempt at this one).</summary>
    public static bool IsBearer(string? authorization) =>
        authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>True only for a bearer token equal to <paramref name="expected"/>; never when none is configured.</summary>
    public static bool Matches(string? authorization, string? expected)
    {
        if (!IsBearer(authorization) || string.IsNullOrEmpty(expected))
        {
            return false;
        }
        var presented = authorization.AsSpan(BearerPrefix.Length).Trim();
        return CryptographicOperations.FixedTimeEquals(Hash(presented), Hash(expected));
    }

    private static byte[] Hash(ReadOnlySpan<char> value)
    {
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        return SHA256.HashData(bytes.AsSpan(0, length));
    }
}
