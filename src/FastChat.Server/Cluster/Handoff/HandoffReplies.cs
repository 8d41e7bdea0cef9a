using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Peers;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>The DONE answers to this node's hand-offs, matched to the copy that waits for them by peer and epoch.</summary>
internal sealed class HandoffReplies : IPeerFrameConsumer
{
    private readonly Dictionary<(string Node, long Epoch), TaskCompletionSource<ulong>> _waiting = new();

    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.HandoffDone;

    /// <summary>Registers interest before the copy starts, so an early answer is not missed.</summary>
    public Task<ulong> Expect(string node, long epoch)
    {
        var tcs = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting) _waiting[(node, epoch)] = tcs;
        return tcs.Task;
    }

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!PeerFrames.TryParseU64Pair(frame.Body, out long epoch, out ulong records)) return false;
        TaskCompletionSource<ulong>? tcs;
        lock (_waiting)
            if (_waiting.Remove((session.Link.RemoteId, epoch), out tcs)) { }
        tcs?.TrySetResult(records);
        return true;
    }
}
