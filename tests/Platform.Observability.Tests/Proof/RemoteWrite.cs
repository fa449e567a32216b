using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;

namespace Platform.Observability.Tests.Proof;

/// <summary>One sample of one series for a remote-write request; the labels include __name__.</summary>
public sealed record RemoteWriteSample(IReadOnlyDictionary<string, string> Labels, double Value, DateTimeOffset Time);

/// <summary>
/// Prometheus remote write 1.0 without packages: a prometheus.WriteRequest in protobuf, framed as a snappy
/// block made only of literals (valid snappy that any decoder reads, just not compressed). What k6's
/// Prometheus output sends, so the proof can write k6-shaped series into the same Prometheus.
/// </summary>
public static class RemoteWrite
{
    private const int MaxLiteral = 65536;

    public static async Task SendAsync(HttpClient client, Uri prometheus, IEnumerable<RemoteWriteSample> samples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = new ByteArrayContent(SnappyBlock(WriteRequest(samples)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("snappy");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(prometheus, "api/v1/write")) { Content = content };
        request.Headers.Add("X-Prometheus-Remote-Write-Version", "0.1.0");
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"remote write returned {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>WriteRequest { repeated TimeSeries timeseries = 1; }, one TimeSeries per sample.</summary>
    public static byte[] WriteRequest(IEnumerable<RemoteWriteSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var request = new ProtoWriter();
        foreach (var sample in samples)
        {
            // TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }, labels sorted by name.
            var series = new ProtoWriter();
            foreach (var (name, value) in sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                var label = new ProtoWriter();
                label.String(1, name);
                label.String(2, value);
                series.Message(1, label);
            }
            // Sample { double value = 1; int64 timestamp = 2; } (milliseconds).
            var point = new ProtoWriter();
            point.Double(1, sample.Value);
            point.Int64(2, sample.Time.ToUnixTimeMilliseconds());
            series.Message(2, point);
            request.Message(1, series);
        }
        return request.ToArray();
    }

    /// <summary>A snappy block: the uncompressed length as a varint, then literal elements of at most 64 KiB.</summary>
    public static byte[] SnappyBlock(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        WriteVarint(output, (ulong)data.Length);
        for (var offset = 0; offset < data.Length; offset += MaxLiteral)
        {
            var length = Math.Min(MaxLiteral, data.Length - offset);
            var n = length - 1;
            if (n < 60)
            {
                output.WriteByte((byte)(n << 2));
            }
            else if (n < 256)
            {
                output.WriteByte(60 << 2);
                output.WriteByte((byte)n);
            }
            else
            {
                output.WriteByte(61 << 2);
                output.WriteByte((byte)(n & 0xFF));
                output.WriteByte((byte)(n >> 8));
            }
            output.Write(data.Slice(offset, length));
        }
        return output.ToArray();
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }

    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void String(int field, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Tag(field, 2);
            WriteVarint(_stream, (ulong)bytes.Length);
            _stream.Write(bytes);
        }

        public void Message(int field, ProtoWriter message)
        {
            var bytes = message.ToArray();
            Tag(field, 2);
            WriteVarint(_stream, (ulong)bytes.Length);
            _stream.Write(bytes);
        }

        public void Double(int field, double value)
        {
            Tag(field, 1);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
            _stream.Write(bytes);
        }

        public void Int64(int field, long value)
        {
            Tag(field, 0);
            WriteVarint(_stream, unchecked((ulong)value));
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Tag(int field, int wireType) => WriteVarint(_stream, (ulong)((field << 3) | wireType));
    }
}
