using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;

namespace FastChat.Benchmarks;

/// <summary>Walking a 32-frame record and parsing each SEND body, as the server's receive path does.</summary>
public class FrameDecodeBenchmarks
{
    private byte[] _record = null!;

    [GlobalSetup]
    public void Setup() => _record = Fixtures.SendRecord(32, "bob", 1);

    [Benchmark(OperationsPerInvoke = 32)]
    public ulong Decode32Sends()
    {
        ulong sum = 0;
        var reader = new FrameReader(_record);
        while (reader.TryRead(out var frame, out _))
        {
            if (MessageFrames.TryParseSend(frame.Body, out ulong id, out var to, out var payload))
                sum += id + (ulong)to.Length + (ulong)payload.Length;
        }
        return sum;
    }
}
