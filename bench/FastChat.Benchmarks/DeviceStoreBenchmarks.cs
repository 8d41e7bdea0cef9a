using BenchmarkDotNet.Attributes;
using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Signal.Curve;
using FastChat.Signal.Sessions;

namespace FastChat.Benchmarks;

/// <summary>
/// The SDK's per-message cost with its real state: both ends' sessions in SQLite device stores
/// (sealed with AES-GCM; WAL, synchronous=FULL, so each store is an fsync), a 100-byte text in the
/// padded envelope: encrypt (load, ratchet, seal, store) and decrypt (the same on the other side).
/// Compare with <see cref="SignalBenchmarks"/>, the same cipher on in-memory stores.
/// </summary>
public class DeviceStoreBenchmarks
{
    private readonly byte[] _text = new byte[100];
    private string _folder = null!;
    private DeviceStore _alice = null!, _bob = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("fastchat-bench-").FullName;
        _alice = DeviceStore.Create(Path.Combine(_folder, "alice.db"), "alice", StoreProtection.KeyFile(Path.Combine(_folder, "alice.key")));
        _bob = DeviceStore.Create(Path.Combine(_folder, "bob.db"), "bob", StoreProtection.KeyFile(Path.Combine(_folder, "bob.key")));
        var signed = PrekeyMaterial.NewSignedPrekey(_bob, 1);
        var bundle = new FastChat.Protocol.Frames.DevicePrekeyBundle(1, _bob.RegistrationId, PrekeyMaterial.IdentityKey(_bob), signed, null);
        new SessionBuilder(_alice, "bob.1").Process(PrekeyMaterial.ToSignal(bundle));
        var first = new SessionCipher(_alice, "bob.1").Encrypt(_text);
        new SessionCipher(_bob, "alice.1").Decrypt(first);
        new SessionCipher(_alice, "bob.1").Decrypt(new SessionCipher(_bob, "alice.1").Encrypt(_text)); // both directions established
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _alice.Dispose();
        _bob.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "envelope + encrypt + decrypt, sessions in SQLite")]
    public int SteadyStateStored()
    {
        var envelope = new PlaintextEnvelope(EnvelopeKind.Text, 1_767_225_600_000, _text).Encode();
        var message = new SessionCipher(_alice, "bob.1").Encrypt(envelope);
        var opened = new SessionCipher(_bob, "alice.1").DecryptMessage(message.Body);
        return PlaintextEnvelope.TryDecode(opened, out var back) ? back.Body.Length : -1;
    }
}
