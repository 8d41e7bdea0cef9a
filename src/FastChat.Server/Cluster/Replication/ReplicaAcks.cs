using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Storage;

namespace FastChat.Server.Cluster.Replication;

/// <summary>REPLICATE_ACK frames: a replica has this node's records durable up to a sequence number; the group commit looks again.</summary>
internal sealed class ReplicaAcks(ReplicaStreams streams, GroupCommit commit) : IPeerFrameConsumer
{
    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.ReplicateAck;

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!PeerFrames.TryParseU64Pair(frame.Body, out long incarnation, out ulong seq)) return false;
        // An answer to an earlier process of this node is for records it no longer waits for.
        if (!streams.TryGet(session.Link.RemoteId, out var stream) || stream.Incarnation != (ulong)incarnation) return true;
        stream.OnAck(seq);
        commit.Recheck();
        return true;
    }
}
