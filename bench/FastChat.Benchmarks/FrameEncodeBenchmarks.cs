using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;

namespace FastChat.Benchmarks;

/// <summary>Laying out frames into a record buffer, per frame: SEND (the client's) and DELIVER (the server's), 100-byte payloads.</summary>
public class FrameEncodeBenchmarks
{
    private const int Count = 32;
    private readonly byte[] _payload = new byte[100];
    private readonly byte[] _peer = "bob"u8.ToArray();
    private readonly byte[] _record = new byte[16 * 1024];

    [Benchmark(OperationsPerInvoke = Count)]
    public int Encode32Sends()
    {
        int offset = 0;
        for (int i = 0; i < Count; i++) offset += MessageFrames.WriteSend(_record.AsSpan(offset), (ulong)i + 1, _peer, _payload);
        return offset;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int Encode32Delivers()
    {
        int offset = 0;
        for (int i = 0; i < Count; i++)
            offset += MessageFrames.WriteDeliver(_record.AsSpan(offset), (ulong)i, DeliveryKind.Message, (ulong)i + 1, 1_700_000_000_000, _peer, _payload);
        return offset;
    }
}
