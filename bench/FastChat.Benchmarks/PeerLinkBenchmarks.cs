using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Routing;

namespace FastChat.Benchmarks;

/// <summary>
/// A cross-node message's bookkeeping on the sending node's peer link, per forward: queue a
/// FORWARD (its frame is the one allocation), the session's writer taking a batch of 32 from the
/// outbox, and the peer's cumulative ack settling them. Sockets and crypto are not in it.
/// </summary>
public class PeerLinkBenchmarks
{
    private const int Batch = 32;
    private readonly ParkedRoutes _parked = new(16, TimeSpan.FromSeconds(30), TimeProvider.System);
    private readonly List<byte[]> _batch = new(Batch);
    private readonly byte[] _payload = new byte[100];
    private PeerLink _link = null!;
    private PeerSession _session = null!;
    private ulong _acked;

    private sealed class NoFrames : IPeerFrameHandler
    {
        public bool OnFrame(PeerSession session, in Frame frame) => true;
    }

    [GlobalSetup]
    public void Setup()
    {
        _link = new PeerLink("node2", 4096);
        _session = new PeerSession(_link, new System.IO.Pipelines.Pipe().Reader, new System.IO.Pipelines.Pipe().Writer,
            new FastChat.Protocol.Noise.NoiseTransport(), new NoFrames());
        _link.Attach(_session, [0]);
        _link.TakeAsync(_session, _batch, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _batch.Clear();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ForwardTakeAck()
    {
        long version = _parked.HandBackVersion;
        for (int i = 0; i < Batch; i++)
            _link.TryForward(new RouteRequest("bob"u8, DeliveryKind.Message, 7, "alice"u8, "alice", _payload), 5, null, 7, _parked, version);
        var take = _link.TakeAsync(_session, _batch, CancellationToken.None);
        if (!take.IsCompletedSuccessfully) throw new InvalidOperationException("frames were queued");
        int taken = _batch.Count;
        _batch.Clear();
        _acked += Batch;
        _link.OnAck(_acked);
        return taken;
    }
}
