using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;
using FastChat.Server.Delivery;
using FastChat.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The offline path on the real store, per message: 256 messages queued for carol while she is
/// away (write-ahead log + index), one durable commit for them all (what the group commit does),
/// then carol comes back: the backlog is read and pushed to her, she acknowledges it (deletes,
/// one delivered receipt queued for the sender) and leaves.
/// </summary>
public class OfflineQueueBenchmarks
{
    private const int Batch = 256;
    private BenchServer _host = null!;
    private UserQueues _queues = null!;
    private FasterStore _store = null!;
    private readonly byte[] _payload = new byte[100];
    private readonly Sink _carol = new();
    private ulong _nextId = 1;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchServer(o =>
        {
            o.QueueQuota = int.MaxValue;              // the sender's receipts pile up over millions of rounds
            o.CommitIntervalMicroseconds = 100_000_000; // commits are the benchmark's, not the loop's
        });
        _queues = _host.App.Services.GetRequiredService<UserQueues>();
        _store = _host.App.Services.GetRequiredService<FasterStore>();
    }

    private readonly List<(string Peer, ulong MessageId, byte[]? Group)> _receipts = new();

    [Benchmark(OperationsPerInvoke = Batch)]
    public int EnqueueCommitDrain()
    {
        for (int i = 0; i < Batch; i++)
            _queues.Enqueue("carol"u8, DeliveryKind.Message, _nextId++, "alice"u8, "alice", _payload);
        _store.CommitAsync().AsTask().GetAwaiter().GetResult();

        _carol.Delivered = 0;
        _queues.Attach(_carol);
        _queues.Acknowledge(_carol, "carol"u8, _carol.Queue!.Tail - 1, _receipts);
        _receipts.Clear(); // one ✓✓ for alice; routing it is not what this measures
        _queues.Detach(_carol);
        return _carol.Delivered;
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    private sealed class Sink : IDeliveryTarget
    {
        public int Delivered;
        public string Address => "carol";
        public QueueState? Queue { get; set; }
        public bool TryDeliver(ReadOnlySpan<byte> frame, DeliveryKind kind) { Delivered++; return true; }
        public void OnAttached(long queued) { }
        public void Replace() { }
        public void Removed() { }
        public void Notify(ReadOnlySpan<byte> frame) { }
        public void Relocate(FastChat.Server.Routing.UserLocation nextHome) { }
    }
}
