namespace Platform.Api.Data;

/// <summary>
/// The one blob row the blob workload reads a prefix of: <see cref="MaxKilobytes"/> KiB of bytes that are
/// not all alike (a repeating 251-byte pattern, prime so it never lines up with a packet or page size), so
/// that a wrong offset or a truncated read shows.
/// </summary>
public static class BlobSeed
{
    public const int Id = 1;

    /// <summary>The largest prefix a request may ask for, in KiB: 4 MiB, a few hundred TDS packets.</summary>
    public const int MaxKilobytes = 4096;

    public const int Bytes = MaxKilobytes * 1024;

    public static byte ByteAt(int index) => (byte)(index % 251);

    public static byte[] Create()
    {
        var data = new byte[Bytes];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = ByteAt(i);
        }
        return data;
    }
}
