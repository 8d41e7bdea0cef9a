using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Noise;

namespace FastChat.Benchmarks;

/// <summary>Encrypting and decrypting one transport record carrying 1 or 32 SEND frames (100-byte payloads).</summary>
public class RecordCryptoBenchmarks
{
    private NoiseTransport _sender = null!;
    private NoiseTransport _receiver = null!;
    private byte[] _plaintext = null!;
    private byte[] _sealed = null!;
    private byte[] _opened = null!;

    [Params(1, 32)] public int Frames;

    [GlobalSetup]
    public void Setup()
    {
        (_sender, _receiver) = Fixtures.TransportPair();
        _plaintext = Fixtures.SendRecord(Frames, "bob", 1);
        _sealed = new byte[_plaintext.Length + NoiseConstants.TagLength];
        _opened = new byte[_plaintext.Length];
    }

    [Benchmark]
    public int Encrypt() => _sender.Encrypt(_plaintext, _sealed);

    /// <summary>Encrypt then decrypt: the receiver's nonce must follow the sender's.</summary>
    [Benchmark]
    public int EncryptThenDecrypt()
    {
        _sender.Encrypt(_plaintext, _sealed);
        return _receiver.Decrypt(_sealed, _opened);
    }
}
