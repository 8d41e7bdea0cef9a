using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Noise;

namespace FastChat.Benchmarks;

/// <summary>
/// Noise_XX_25519_ChaChaPoly_BLAKE2b: a whole handshake in memory, both sides (each side does
/// one ephemeral key generation and three DH; the server, which passes its cached public key,
/// does no other X25519), and one X25519 for scale.
/// </summary>
public class HandshakeBenchmarks
{
    private readonly byte[] _clientKey = new byte[32];
    private readonly byte[] _serverKey = new byte[32];
    private readonly byte[] _serverPublic = new byte[32];
    private readonly byte[] _message = new byte[512];
    private readonly byte[] _payload = new byte[512];
    private readonly byte[] _shared = new byte[32];
    private readonly NoiseTransport _client = new();
    private readonly NoiseTransport _server = new();

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_clientKey);
        Random.Shared.NextBytes(_serverKey);
        using var probe = new HandshakeState(false, "bench"u8, _serverKey);
        probe.LocalStaticPublicKey.CopyTo(_serverPublic);
    }

    [Benchmark]
    public int XXHandshakeBothSides()
    {
        using var client = new HandshakeState(true, "bench"u8, _clientKey);
        using var server = new HandshakeState(false, "bench"u8, _serverKey, staticPublicKey: _serverPublic);
        int n = client.WriteMessage(default, _message);
        server.ReadMessage(_message.AsSpan(0, n), _payload);
        n = server.WriteMessage("server hello"u8, _message);
        client.ReadMessage(_message.AsSpan(0, n), _payload);
        n = client.WriteMessage("client hello"u8, _message);
        server.ReadMessage(_message.AsSpan(0, n), _payload);
        client.Split(_client);
        server.Split(_server);
        return n;
    }

    [Benchmark]
    public bool X25519() => Sodium.X25519(_clientKey, _serverPublic, _shared);
}
