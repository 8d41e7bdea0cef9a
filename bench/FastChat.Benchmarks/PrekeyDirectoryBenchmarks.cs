using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;
using FastChat.Server.Accounts;
using FastChat.Server.Prekeys;
using FastChat.Signal.Curve;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The prekey directory's server cost on the real store: a bundle fetch (take a one-time prekey,
/// write the device's record back, wait for the durable commit, encode PREKEY_BUNDLES) and an
/// upload of 100 one-time prekeys (parse PREKEY_UPLOAD, verify the signed prekey's XEdDSA
/// signature, write, commit, encode PREKEY_STATUS). Requests run <see cref="Concurrent"/> at a
/// time on different users, as a busy server sees them, so one group commit covers many and the
/// time per operation is close to the CPU each costs.
/// </summary>
public class PrekeyDirectoryBenchmarks
{
    private const int Users = 1024;
    private const int Concurrent = 256;
    private BenchServer _host = null!;
    private PrekeyStore _prekeys = null!;
    private readonly string[] _names = Enumerable.Range(0, Users).Select(i => $"user{i:d5}").ToArray();
    private byte[][] _uploads = null!; // one encoded PREKEY_UPLOAD body per user: a new signed prekey and 100 one-time prekeys
    private byte[][] _topUps = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchServer(o =>
        {
            o.PrekeyStockMax = 1000;
            o.PrekeyUploadMax = 100;
            o.PrekeyHandoutsPerHour = 60_000;
            o.CommitIntervalMicroseconds = 1000;
        });
        var services = _host.App.Services;
        _prekeys = services.GetRequiredService<PrekeyStore>();
        var accounts = services.GetRequiredService<AccountStore>();
        _uploads = new byte[Users][];
        _topUps = new byte[Users][];
        uint nextId = 1;
        for (int i = 0; i < Users; i++)
        {
            accounts.CreateAsync(_names[i], new byte[32], 0).GetAwaiter().GetResult();
            var identity = SignalKeyPair.Generate();
            var signedPair = SignalKeyPair.Generate();
            var signed = new SignedPrekey(1, signedPair.PublicKey.Serialized.ToArray(), identity.Sign(signedPair.PublicKey.Serialized));
            OneTimePrekey[] Batch() => Enumerable.Range(0, 100).Select(_ => new OneTimePrekey(nextId++, SignalKeyPair.Generate().PublicKey.Serialized.ToArray())).ToArray();
            var identityKey = identity.PublicKey.Serialized.ToArray();
            _uploads[i] = Body(new PrekeyUploadBody(1, 7, identityKey, signed, Batch()));
            _topUps[i] = Body(new PrekeyUploadBody(2, 7, identityKey, signed, Batch())); // the signed prekey again: its signature is checked each time
        }
        Restock();
    }

    private static byte[] Body(IControlBody body) => ControlFrames.Encode(body)[4..];

    /// <summary>Every user back to exactly their first upload (the fetches take at most 8 each per iteration; an upload adds 100).</summary>
    [IterationSetup]
    public void Restock()
    {
        var store = _host.App.Services.GetRequiredService<FastChat.Server.Storage.FasterStore>();
        Span<byte> key = stackalloc byte[FastChat.Server.Storage.StoreKeys.MaxLength];
        foreach (var name in _names)
            store.Delete(key[..FastChat.Server.Storage.StoreKeys.PrekeyKey(key, System.Text.Encoding.ASCII.GetBytes(name), FastChat.Protocol.Wire.DeviceAddress.Primary)]);
        RunAll(i => UploadAsync(i, _uploads[i]));
    }

    [Benchmark(OperationsPerInvoke = Concurrent)]
    [InvocationCount(32)]
    public void FetchBundle() => RunNext(i => FetchAsync(_names[i]));

    [Benchmark(OperationsPerInvoke = Concurrent)]
    [InvocationCount(1)]
    public void UploadHundredPrekeys() => RunNext(i => UploadAsync(i, _topUps[i]));

    private async Task<int> FetchAsync(string user)
    {
        var take = await _prekeys.TakeBundlesAsync(user).ConfigureAwait(false);
        if (take.Bundles[0].OneTimePrekey is null) throw new InvalidOperationException("out of one-time prekeys"); // measure the real path only
        return ControlFrames.Encode(new PrekeyBundlesBody(1, take.Status, user, take.Bundles, 0)).Length;
    }

    private async Task<int> UploadAsync(int user, byte[] body)
    {
        if (!PrekeyUploadBody.TryParse(body, out var upload)) throw new InvalidOperationException("bad upload");
        var status = await _prekeys.UploadAsync(_names[user], FastChat.Protocol.Wire.DeviceAddress.Primary, upload).ConfigureAwait(false);
        if (status.Status != PrekeyStatusCode.Stored) throw new InvalidOperationException($"upload refused: {status.Message}"); // measure the real path only
        return ControlFrames.Encode(status).Length;
    }

    private void RunNext(Func<int, Task<int>> operation)
    {
        var tasks = new Task<int>[Concurrent];
        for (int k = 0; k < Concurrent; k++) tasks[k] = operation(_next++ % Users);
        Task.WaitAll(tasks);
    }

    private void RunAll(Func<int, Task<int>> operation) => Task.WaitAll(Enumerable.Range(0, Users).Select(operation).ToArray());

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();
}
