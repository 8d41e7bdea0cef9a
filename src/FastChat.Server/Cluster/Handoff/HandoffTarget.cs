using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Storage;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>
/// The receiving side of hand-offs, and the sweep that drops data this node no longer owns.
/// A copy from one peer under one epoch (with the sender's copy id): BEGIN clears whatever this node still holds of the
/// partitions coming from that peer (left from an older ownership), DATA upserts the records
/// (through the write-ahead log, like every write), END answers DONE with the count once a group
/// commit has made them durable. Only partitions the table says move from that peer to this node
/// are written; nothing is served from them until the table that completes the change.
/// </summary>
internal sealed class HandoffTarget(ClusterOptions options, ClusterState state, FasterStore store, GroupCommit commit, HandoffMetrics metrics, ILogger<HandoffTarget> logger) : IPeerFrameConsumer
{
    public const ulong NotReady = ulong.MaxValue;

    private sealed class Incoming
    {
        public long Epoch;
        public long Copy;
        public ulong Records;
        public bool Active;
    }

    // Receiving and the disowned sweep both decide per key from the view, then write: never interleaved.
    private readonly object _storeGate = new();
    private readonly Dictionary<string, Incoming> _incoming = new(StringComparer.Ordinal); // read loops only, one per peer

    public bool Accepts(byte frameType) => frameType is (byte)PeerFrameType.HandoffBegin or (byte)PeerFrameType.HandoffData or (byte)PeerFrameType.HandoffEnd;

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        var source = session.Link.RemoteId;
        Incoming incoming;
        lock (_incoming)
            if (!_incoming.TryGetValue(source, out incoming!)) _incoming[source] = incoming = new Incoming();
        switch (frame.Type)
        {
            case (byte)PeerFrameType.HandoffBegin:
                if (!PeerFrames.TryParseU64Pair(frame.Body, out long epoch, out ulong copy)) return false;
                var table = state.View.Table;
                if (table is null || table.Epoch != epoch || !table.InTransition)
                {
                    incoming.Active = false;
                    session.Link.Send(PeerFrames.U64Pair(PeerFrameType.HandoffDone, (long)copy, NotReady)); // it asks again
                    return true;
                }
                (incoming.Epoch, incoming.Copy, incoming.Records, incoming.Active) = (epoch, (long)copy, 0, true);
                int cleared = Sweep(k => IsIncoming(table, source, k));
                logger.LogInformation("Receiving partitions from {Node} (epoch {Epoch}); cleared {Cleared} old records of them.", source, epoch, cleared);
                return true;
            case (byte)PeerFrameType.HandoffData:
                var current = state.View.Table;
                if (!HandoffBatch.TryReadEpoch(frame.Body, out long dataEpoch)) return false;
                return HandoffBatch.TryRead(frame.Body, (key, value) =>
                {
                    if (!incoming.Active || dataEpoch != incoming.Epoch || current is null || !IsIncoming(current, source, key)) return;
                    lock (_storeGate) store.Upsert(key, value);
                    incoming.Records++;
                });
            case (byte)PeerFrameType.HandoffEnd:
                if (!PeerFrames.TryParseU64Pair(frame.Body, out long endCopy, out _)) return false;
                ulong received = incoming.Active && incoming.Copy == endCopy ? incoming.Records : NotReady;
                long receivedEpoch = incoming.Epoch;
                incoming.Active = false;
                _ = ConfirmAsync(session.Link, receivedEpoch, endCopy, received);
                return true;
            default:
                return false;
        }
    }

    private async Task ConfirmAsync(PeerLink link, long epoch, long copy, ulong received)
    {
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        link.Send(PeerFrames.U64Pair(PeerFrameType.HandoffDone, copy, received));
        if (received == NotReady) return;
        metrics.Received(received);
        logger.LogInformation("Received {Records} records from {Node} (epoch {Epoch}, copy {Copy}), durable.", received, link.RemoteId, epoch, copy);
    }

    /// <summary>Deletes every record of a user this node neither owns, nor is receiving, nor keeps the replica of; returns how many.</summary>
    public int DropDisowned()
    {
        return Sweep(key =>
        {
            var view = state.View;
            if (view.Table is not { } table || RecordPartition.Of(table, key) is not (>= 0 and var partition)) return false;
            return !view.IsSelf(table.OwnerOf(partition)) && !view.IsSelf(table.NextOwnerOf(partition))
                && !(options.ReplicationFactor >= 2 && view.IsSelf(table.ReplicaOf(partition)));
        });
    }

    private int Sweep(Func<byte[], bool> drop)
    {
        int dropped = 0;
        foreach (var key in store.LiveKeys())
        {
            lock (_storeGate)
            {
                if (!drop(key)) continue;
                store.Delete(key);
                dropped++;
            }
        }
        if (dropped > 0) commit.MarkDirty();
        return dropped;
    }

    private bool IsIncoming(PartitionTable table, string source, ReadOnlySpan<byte> key) => RecordPartition.Moves(table, key, source, state.View.SelfId);
}
