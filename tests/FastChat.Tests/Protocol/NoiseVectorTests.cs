using System.Text.Json;
using FastChat.Protocol.Noise;

namespace FastChat.Tests.Protocol;

/// <summary>
/// Our Noise XX against the public cacophony vectors (TestVectors/noise-25519.json, copied from
/// shared/test-vectors; public domain).
/// </summary>
public class NoiseVectorTests
{
    private static JsonElement Vector()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestVectors", "noise-25519.json")));
        foreach (var v in doc.RootElement.GetProperty("vectors").EnumerateArray())
            if (v.GetProperty("protocol_name").GetString() == NoiseConstants.ProtocolName) return v.Clone();
        throw new InvalidOperationException("vector missing");
    }

    private static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);

    [Fact]
    public void Handshake_and_transport_match_the_cacophony_vectors()
    {
        var v = Vector();
        using var initiator = new HandshakeState(true, Hex(v, "init_prologue"), Hex(v, "init_static"), Hex(v, "init_ephemeral"));
        using var responder = new HandshakeState(false, Hex(v, "resp_prologue"), Hex(v, "resp_static"), Hex(v, "resp_ephemeral"));
        var messages = v.GetProperty("messages").EnumerateArray().ToArray();
        var buffer = new byte[1024];
        var payloadOut = new byte[1024];
        for (int i = 0; i < 3; i++)
        {
            var payload = Hex(messages[i], "payload");
            var expected = Hex(messages[i], "ciphertext");
            var (writer, reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            int n = writer.WriteMessage(payload, buffer);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, n));
            int p = reader.ReadMessage(buffer.AsSpan(0, n), payloadOut);
            Assert.Equal(payload, payloadOut[..p]);
        }
        Assert.Equal(Convert.ToHexString(Hex(v, "handshake_hash")), Convert.ToHexString(initiator.HandshakeHash.ToArray()));
        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());

        var initTransport = new NoiseTransport();
        var respTransport = new NoiseTransport();
        initiator.Split(initTransport);
        responder.Split(respTransport);
        for (int i = 3; i < messages.Length; i++)
        {
            var payload = Hex(messages[i], "payload");
            var expected = Hex(messages[i], "ciphertext");
            var (writer, reader) = i % 2 == 0 ? (initTransport, respTransport) : (respTransport, initTransport);
            int n = writer.Encrypt(payload, buffer);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, n));
            int p = reader.Decrypt(buffer.AsSpan(0, n), payloadOut);
            Assert.Equal(payload, payloadOut[..p]);
        }
    }

    [Fact]
    public void Tampered_handshake_message_is_rejected()
    {
        var v = Vector();
        using var initiator = new HandshakeState(true, Hex(v, "init_prologue"), Hex(v, "init_static"));
        using var responder = new HandshakeState(false, Hex(v, "resp_prologue"), Hex(v, "resp_static"));
        var buffer = new byte[256];
        var payload = new byte[256];
        int n = initiator.WriteMessage(default, buffer);
        Assert.Equal(0, responder.ReadMessage(buffer.AsSpan(0, n), payload));
        n = responder.WriteMessage(default, buffer);
        buffer[40] ^= 1; // inside the encrypted static key
        Assert.Equal(-1, initiator.ReadMessage(buffer.AsSpan(0, n), payload));
    }

    [Fact]
    public void Different_prologues_fail_the_handshake()
    {
        var v = Vector();
        using var initiator = new HandshakeState(true, "a"u8, Hex(v, "init_static"));
        using var responder = new HandshakeState(false, "b"u8, Hex(v, "resp_static"));
        var buffer = new byte[256];
        var payload = new byte[256];
        int n = initiator.WriteMessage(default, buffer);
        responder.ReadMessage(buffer.AsSpan(0, n), payload);
        n = responder.WriteMessage(default, buffer);
        Assert.Equal(-1, initiator.ReadMessage(buffer.AsSpan(0, n), payload));
    }
}
