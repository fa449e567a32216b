namespace Platform.Observability.Tests.Proof;

/// <summary>The hand-written remote-write encoding, byte for byte (the proof shows Prometheus accepts it).</summary>
public sealed class RemoteWriteTests
{
    [Fact]
    public void Snappy_block_of_literals_and_protobuf_write_request_are_encoded_as_specified()
    {
        // 3 bytes: varint length 3, literal tag (3-1)<<2, the bytes.
        Assert.Equal([3, 8, 1, 2, 3], RemoteWrite.SnappyBlock([1, 2, 3]));
        // 100 bytes: length 100, tag 60<<2 then length-1 in one byte.
        Assert.Equal([100, 240, 99], RemoteWrite.SnappyBlock(new byte[100]).Take(3));
        // 70,000 bytes: varint 70000, then a 65,536-byte literal (tag 61<<2, 0xFFFF) and a 4,464-byte one.
        var big = RemoteWrite.SnappyBlock(new byte[70_000]);
        Assert.Equal([0xF0, 0xA2, 0x04, 244, 0xFF, 0xFF], big.Take(6));
        Assert.Equal([244, 0x6F, 0x11], big.Skip(6 + 65_536).Take(3));
        Assert.Equal(3 + 3 + 65_536 + 3 + 4_464, big.Length);

        var request = RemoteWrite.WriteRequest(
            [new RemoteWriteSample(new Dictionary<string, string> { ["b"] = "2", ["__name__"] = "m" }, 1.5, DateTimeOffset.FromUnixTimeMilliseconds(300))]);
        byte[] expected =
        [
            0x0A, 37, // timeseries, 37 bytes
            0x0A, 13, 0x0A, 8, .. "__name__"u8, 0x12, 1, (byte)'m', // label __name__=m (sorted first)
            0x0A, 6, 0x0A, 1, (byte)'b', 0x12, 1, (byte)'2', // label b=2
            0x12, 12, 0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x10, 0xAC, 0x02, // sample 1.5 @ 300 ms
        ];
        Assert.Equal(expected, request);
    }
}
