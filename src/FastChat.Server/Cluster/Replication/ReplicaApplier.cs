using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Handoff;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Storage;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// The replica's side: applies a primary's REPLICATE records through this node's own store (its
/// write-ahead log and index), in sequence order, skipping numbers already applied from the same
/// primary process, and acknowledges the highest applied number once this node's log has it on
/// disk. Only frames of this node's own table epoch are taken, and of them only records whose
/// partition the sender owns and is not handing off (a moving partition's next owner starts from
/// the hand-off copy, which a late stream record must not overwrite); any other frame is left unacknowledged, so a primary that was
/// replaced (failover) can never have a write acknowledged here, and an acknowledgement never
/// covers a record dropped for a stale view.
/// </summary>
internal sealed class ReplicaApplier(ClusterState state, FasterStore store, GroupCommit commit, ReplicationMetrics metrics) : IPeerFrameConsumer
{
    private sealed class Source
    {
        public ulong Incarnation;
        public ulong Applied;
    }

    private readonly Dictionary<string, Source> _sources = new(StringComparer.Ordinal);

    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.Replicate;

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!ReplicateFrame.TryReadHeader(frame.Body, out ulong incarnation, out long epoch)) return false;
        var from = session.Link.RemoteId;
        Source source;
        lock (_sources)
            if (!_sources.TryGetValue(from, out source!)) _sources[from] = source = new Source();
        ulong applied;
        long count = 0;
        lock (source)
        {
            if (source.Incarnation != incarnation) (source.Incarnation, source.Applied) = (incarnation, 0); // a new primary process syncs from scratch
            // Another table than this node's: this node is behind (the primary resends once it caught up)
            // or the primary is (it re-stamps its records when it catches up, or it was replaced and stops).
            if (state.View.Table is not { } table || table.Epoch != epoch) return true;
            applied = source.Applied;
            bool wellFormed = ReplicateFrame.TryRead(frame.Body, (seq, op, key, value) =>
            {
                if (seq <= applied) return true;
                if (op == ReplicaOp.Clear) Clear(table, from, value);
                else if (RecordPartition.Of(table, key) is >= 0 and var p && table.OwnerOf(p) == from && !table.IsMoving(p))
                {
                    if (op == ReplicaOp.Upsert) store.Upsert(key, value);
                    else store.Delete(key);
                    count++;
                }
                applied = seq;
                return true;
            });
            if (!wellFormed) return false;
            source.Applied = applied;
        }
        metrics.Applied(count);
        _ = AcknowledgeAsync(session.Link, incarnation, applied);
        return true;
    }

    private async Task AcknowledgeAsync(PeerLink link, ulong incarnation, ulong applied)
    {
        await commit.WaitForLocalCommitAsync().ConfigureAwait(false);
        link.Send(PeerFrames.U64Pair(PeerFrameType.ReplicateAck, (long)incarnation, applied));
    }

    /// <summary>Drops this node's copy of the listed partitions the sender owns: the sender's snapshot of them follows.</summary>
    private void Clear(PartitionTable table, string from, ReadOnlySpan<byte> list)
    {
        var clear = new bool[table.Partitions];
        bool any = false;
        for (int i = 0; i + 2 <= list.Length; i += 2)
        {
            int p = BinaryPrimitives.ReadUInt16BigEndian(list[i..]);
            if (p < clear.Length && table.OwnerOf(p) == from && !table.IsMoving(p)) any = clear[p] = true;
        }
        if (!any) return;
        foreach (var key in store.LiveKeys())
            if (RecordPartition.Of(table, key) is >= 0 and var p && clear[p]) store.Delete(key);
    }
}
