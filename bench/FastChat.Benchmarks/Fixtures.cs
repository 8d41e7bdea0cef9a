using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Benchmarks;

internal static class Fixtures
{
    /// <summary>Two transports that share keys, from a real in-memory XX handshake.</summary>
    public static (NoiseTransport Client, NoiseTransport Server) TransportPair()
    {
        var clientKey = new byte[32];
        var serverKey = new byte[32];
        Random.Shared.NextBytes(clientKey);
        Random.Shared.NextBytes(serverKey);
        using var client = HandshakeDriver.CreateInitiator(clientKey, []);
        using var server = HandshakeDriver.CreateResponder(serverKey, default, []);
        return HandshakeDriver.RunInMemory(client, server);
    }

    /// <summary>A record plaintext of <paramref name="count"/> SEND frames with 100-byte payloads.</summary>
    public static byte[] SendRecord(int count, string to, ulong firstId)
    {
        var payload = new byte[100];
        var toBytes = System.Text.Encoding.ASCII.GetBytes(to);
        int frameLength = MessageFrames.SendLength(toBytes.Length, payload.Length);
        var record = new byte[frameLength * count];
        for (int i = 0; i < count; i++) MessageFrames.WriteSend(record.AsSpan(i * frameLength), firstId + (ulong)i, toBytes, payload);
        return record;
    }

    public static void RewriteIds(byte[] record, int count, ulong firstId)
    {
        int frameLength = record.Length / count;
        for (int i = 0; i < count; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(record.AsSpan(i * frameLength + ProtocolLimits.FrameHeaderLength), firstId + (ulong)i);
    }
}
