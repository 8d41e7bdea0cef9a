using BenchmarkDotNet.Attributes;
using FastChat.Signal.Curve;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;
using FastChat.Signal.Stores;

namespace FastChat.Benchmarks;

/// <summary>
/// The SDK's end-to-end encryption cost, both ends in one process (in-memory stores), a 100-byte
/// message: encrypt and decrypt on an established chain (steady state); a round trip that steps
/// the ratchet both ways (each direction change is a new DH and root-key step); and a session
/// start (X3DH from a bundle, the first prekey message encrypted and decrypted).
/// </summary>
public class SignalBenchmarks
{
    private readonly byte[] _plaintext = new byte[100];
    private InMemorySignalProtocolStore _alice = null!, _bob = null!;
    private SessionCipher _aliceToBob = null!, _bobToAlice = null!;
    private PreKeyBundle _bundle = null!;
    private uint _nextPreKey = 1;

    [GlobalSetup]
    public void Setup()
    {
        _alice = new InMemorySignalProtocolStore(SignalKeyPair.Generate(), 1);
        _bob = new InMemorySignalProtocolStore(SignalKeyPair.Generate(), 2);
        _bundle = FreshBundle();
        new SessionBuilder(_alice, "bob").Process(_bundle);
        _aliceToBob = new SessionCipher(_alice, "bob");
        _bobToAlice = new SessionCipher(_bob, "alice");
        _bobToAlice.Decrypt(_aliceToBob.Encrypt(_plaintext));
        _aliceToBob.Decrypt(_bobToAlice.Encrypt(_plaintext)); // both directions established
    }

    [Benchmark(Description = "encrypt + decrypt, same chain")]
    public byte[] SteadyState() => _bobToAlice.Decrypt(_aliceToBob.Encrypt(_plaintext));

    [Benchmark(Description = "round trip with a ratchet step each way")]
    public byte[] RatchetSteps()
    {
        _bobToAlice.Decrypt(_aliceToBob.Encrypt(_plaintext));
        return _aliceToBob.Decrypt(_bobToAlice.Encrypt(_plaintext));
    }

    [Benchmark(Description = "X3DH session start + first prekey message")]
    public byte[] SessionStart()
    {
        var alice = new InMemorySignalProtocolStore(_alice.IdentityKeyPair, 1);
        new SessionBuilder(alice, "bob").Process(FreshBundle());
        return new SessionCipher(_bob, "alice" + _nextPreKey).Decrypt(new SessionCipher(alice, "bob").Encrypt(_plaintext));
    }

    private PreKeyBundle FreshBundle()
    {
        var signed = SignalKeyPair.Generate();
        var oneTime = SignalKeyPair.Generate();
        uint id = _nextPreKey++;
        _bob.StoreSignedPreKey(1, signed);
        _bob.StorePreKey(id, oneTime);
        return new PreKeyBundle(2, _bob.IdentityKeyPair.PublicKey, 1, signed.PublicKey, _bob.IdentityKeyPair.Sign(signed.PublicKey.Serialized), id, oneTime.PublicKey);
    }
}
