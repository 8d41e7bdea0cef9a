using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The server's real per-message work, without sockets: alice's connection dispatches a record
/// of 32 SENDs to bob (route, durable enqueue in FASTER, push into bob's outbound, enlist for the
/// group commit ack); bob acknowledges them (delete, delivered receipts queued and pushed to alice);
/// alice acknowledges the receipts. Outbound records are encrypted into the pipes on this thread,
/// so the time includes them. Per operation = per message. Group commits run on their own thread,
/// as in the server: their time is not in the figure, their allocations are (process-wide count).
/// </summary>
public class DispatchBenchmarks
{
    private const int Batch = 32;
    private BenchServer _host = null!;
    private ClientConnection _alice = null!;
    private ClientConnection _bob = null!;
    private byte[] _sends = null!;
    private readonly byte[] _ack = new byte[MessageFrames.U64FrameLength];
    private ulong _nextId = 1;
    private ulong _bobSeq;
    private ulong _aliceSeq;
    private BenchConnections _connections = null!;

    /// <summary>
    /// Off: frame decode and dispatch alone (commits never run; the ✓ is not sent). On: a group
    /// commit every millisecond, as the server runs, with its cost spread over the messages.
    /// </summary>
    [Params(false, true)] public bool GroupCommit;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchServer(o =>
        {
            o.MaxFramesPerSecond = 100_000_000; // the benchmark is one very fast client
            o.FrameBurst = 100_000_000;
            o.CommitIntervalMicroseconds = GroupCommit ? 1000 : 100_000_000;
        });
        var server = _host.App.Services.GetRequiredService<ServerContext>();
        _connections = new BenchConnections(server);
        _alice = _connections.Connect("alice");
        _bob = _connections.Connect("bob");
        _sends = Fixtures.SendRecord(Batch, "bob", 1);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public bool SendDeliverAckReceipt()
    {
        Fixtures.RewriteIds(_sends, Batch, _nextId);
        _nextId += Batch;
        bool ok = _alice.DispatchFrames(_sends, _sends.Length);
        _bob.FlushInline(); // encrypt the 32 DELIVERs into bob's pipe
        _bobSeq += Batch;
        MessageFrames.WriteU64(_ack, FrameType.DeliveryAck, _bobSeq - 1);
        ok &= _bob.DispatchFrames(_ack, _ack.Length);
        _alice.FlushInline(); // the delivered receipt (and any SERVER_ACKs the group commit queued)
        _aliceSeq += 1; // one coalesced delivered receipt per ack batch
        MessageFrames.WriteU64(_ack, FrameType.DeliveryAck, _aliceSeq - 1);
        ok &= _alice.DispatchFrames(_ack, _ack.Length);
        if (!ok) throw new InvalidOperationException("dispatch failed");
        return ok;
    }

    /// <summary>
    /// `-- alloc-probe`: bytes allocated on this thread by each step of one round, after warm-up,
    /// to find what allocates when the benchmark's Allocated column is not zero.
    /// </summary>
    public static void AllocationProbe(bool groupCommit)
    {
        var bench = new DispatchBenchmarks { GroupCommit = groupCommit };
        bench.Setup();
        for (int i = 0; i < 20000; i++) bench.SendDeliverAckReceipt();
        var store = bench._host.App.Services.GetRequiredService<FastChat.Server.Storage.FasterStore>();
        var key = new byte[12];
        var value = new byte[150];
        var steps = new (string Name, Action Step)[]
        {
            ("store upsert x32", () => { for (int i = 0; i < 32; i++) { key[0] = (byte)i; store.Upsert(key, value); } }),
            ("store delete x32", () => { for (int i = 0; i < 32; i++) { key[0] = (byte)i; store.Delete(key); } }),
            ("alice SEND x32", () => { Fixtures.RewriteIds(bench._sends, Batch, bench._nextId); bench._nextId += Batch; bench._alice.DispatchFrames(bench._sends, bench._sends.Length); }),
            ("bob flush", () => bench._bob.FlushInline()),
            ("bob DELIVERY_ACK", () => { bench._bobSeq += Batch; MessageFrames.WriteU64(bench._ack, FrameType.DeliveryAck, bench._bobSeq - 1); bench._bob.DispatchFrames(bench._ack, bench._ack.Length); }),
            ("alice flush", () => bench._alice.FlushInline()),
            ("alice DELIVERY_ACK", () => { bench._aliceSeq += 1; MessageFrames.WriteU64(bench._ack, FrameType.DeliveryAck, bench._aliceSeq - 1); bench._alice.DispatchFrames(bench._ack, bench._ack.Length); }),
        };
        var totals = new long[steps.Length];
        const int rounds = 2000;
        for (int r = 0; r < rounds; r++)
            for (int s = 0; s < steps.Length; s++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                steps[s].Step();
                totals[s] += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        for (int s = 0; s < steps.Length; s++) Console.WriteLine($"{steps[s].Name,-20} {totals[s] / (double)rounds,10:F1} B per round");
        bench.Cleanup();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connections.Dispose();
        _host.Dispose();
    }
}
