using BenchmarkDotNet.Attributes;
using FastChat.Signal.Curve;
using FastChat.Signal.Groups;
using FastChat.Signal.Stores;

namespace FastChat.Benchmarks;

/// <summary>
/// Sender keys, the SDK's cost per group message (in-memory stores, a 100-byte message): the
/// sender encrypts once (AES-CBC and an XEdDSA signature) and one member decrypts (signature check
/// and AES-CBC); a group of n members costs one encrypt and n decrypts, each on its own device.
/// </summary>
public class GroupCipherBenchmarks
{
    private readonly byte[] _plaintext = new byte[100];
    private readonly Guid _distribution = Guid.NewGuid();
    private InMemorySignalProtocolStore _sender = null!, _member = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sender = new InMemorySignalProtocolStore(SignalKeyPair.Generate(), 1);
        _member = new InMemorySignalProtocolStore(SignalKeyPair.Generate(), 2);
        GroupCipher.ProcessDistributionMessage(_member, "alice.1", GroupCipher.CreateDistributionMessage(_sender, "alice.1", _distribution));
    }

    [Benchmark(Description = "group encrypt (sender, once per message)")]
    public byte[] Encrypt() => GroupCipher.Encrypt(_sender, "alice.1", _distribution, _plaintext);

    [Benchmark(Description = "group encrypt + one member's decrypt")]
    public byte[] EncryptDecrypt() => GroupCipher.Decrypt(_member, "alice.1", GroupCipher.Encrypt(_sender, "alice.1", _distribution, _plaintext));
}
