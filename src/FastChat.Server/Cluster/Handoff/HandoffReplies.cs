using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Peers;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>
/// The DONE answers to this node's hand-offs, matched to the copy that waits for them by peer and
/// copy id: every copy gets a fresh id, so a late answer to an earlier copy (one whose session died)
/// never confirms a later one.
/// </summary>
internal sealed class HandoffReplies : IPeerFrameConsumer
{
    private readonly Dictionary<(string Node, long Copy), TaskCompletionSource<ulong>> _waiting = new();
    private long _lastCopy;

    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.HandoffDone;

    public long NextCopyId() => Interlocked.Increment(ref _lastCopy);

    /// <summary>Registers interest before the copy starts, so an early answer is not missed.</summary>
    public Task<ulong> Expect(string node, long copy)
    {
        var tcs = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting) _waiting[(node, copy)] = tcs;
        return tcs.Task;
    }

    /// <summary>The copy gave up waiting: an answer that still comes is dropped.</summary>
    public void Forget(string node, long copy)
    {
        lock (_waiting) _waiting.Remove((node, copy));
    }

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!PeerFrames.TryParseU64Pair(frame.Body, out long copy, out ulong records)) return false;
        TaskCompletionSource<ulong>? tcs;
        lock (_waiting) _waiting.Remove((session.Link.RemoteId, copy), out tcs);
        tcs?.TrySetResult(records);
        return true;
    }
}
