using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Prekeys;

namespace FastChat.Server.Cluster.Prekeys;

/// <summary>
/// The PREKEY_ANSWERs to this node's requests, matched by request id (fresh per request, so a late
/// answer matches nothing) and by the user asked about, so an answer can never pass for another user's bundles.
/// </summary>
internal sealed class PrekeyReplies : IPeerFrameConsumer
{
    private readonly Dictionary<ulong, (string User, TaskCompletionSource<PrekeyFetchResult> Answer)> _waiting = new();
    private ulong _lastId;

    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.PrekeyAnswer;

    /// <summary>A fresh request id, registered before the request goes out so an early answer is not missed.</summary>
    public (ulong Id, Task<PrekeyFetchResult> Answer) Expect(string user)
    {
        var tcs = new TaskCompletionSource<PrekeyFetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ulong id = Interlocked.Increment(ref _lastId);
        lock (_waiting) _waiting[id] = (user, tcs);
        return (id, tcs.Task);
    }

    public void Forget(ulong id)
    {
        lock (_waiting) _waiting.Remove(id);
    }

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!PrekeyBundlesBody.TryParse(frame.Body, out var answer)) return false;
        lock (_waiting)
        {
            if (!_waiting.TryGetValue(answer.RequestId, out var waiting) || waiting.User != answer.User) return true;
            _waiting.Remove(answer.RequestId);
            waiting.Answer.TrySetResult(new PrekeyFetchResult(answer.Status, answer.Bundles, answer.DeviceList));
        }
        return true;
    }
}
