using BenchmarkDotNet.Attributes;
using FastChat.Server.Cluster.Replication;

namespace FastChat.Benchmarks;

/// <summary>
/// The primary's per-write cost of replication: one queue-entry-sized record into the replica's
/// stream (what <c>ReplicationPrimary.OnWrite</c> adds under the key's stripe lock), and per batch
/// of 32 the sender's take, a capture and check of the commit ticket, and the replica's ack.
/// Per operation = per record; the sealed frame is the one allocation, per batch.
/// </summary>
public class ReplicationBenchmarks
{
    private const int Batch = 32;
    private ReplicaStream _stream = null!;
    private readonly byte[] _key = System.Text.Encoding.ASCII.GetBytes("Q\0\0\0\0\0\0\0\u0001bob");
    private readonly byte[] _value = new byte[160];

    [GlobalSetup]
    public void Setup()
    {
        _stream = new ReplicaStream("node2", 1, partitions: 4096, maxUnackedBytes: 64L << 20);
        _stream.Restamp(1, _ => true, _ => 0);
        var (round, _) = _stream.BeginRound(_ => true);
        _stream.EndRound(round);
        _stream.TakeToSend(resendAll: false, TimeSpan.FromSeconds(10));
        _stream.OnAck(_stream.LastSeq);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public bool AppendShipAndAck()
    {
        for (int i = 0; i < Batch; i++) _stream.Append(ReplicaOp.Upsert, _key, _value, 7, 1);
        var ticket = _stream.Capture();
        _stream.TakeToSend(resendAll: false, TimeSpan.FromSeconds(10));
        _stream.OnAck(_stream.LastSeq);
        return _stream.IsPassed(ticket);
    }
}
