using FastChat.Protocol.Frames;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Prekeys;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Prekeys;

/// <summary>
/// Answers peers' PREKEY_REQUESTs for users homed here: takes the bundles (durably, as for a local
/// client) and sends them back on the session the request came by. An answer lost with its session
/// costs the one-time prekeys it carried, never hands them out twice.
/// </summary>
internal sealed class PrekeyAnswerer(LocalPrekeyDirectory local, ILogger<PrekeyAnswerer> logger) : IPeerFrameConsumer
{
    public bool Accepts(byte frameType) => frameType == (byte)PeerFrameType.PrekeyRequest;

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        if (!PeerFrames.TryParsePrekeyRequest(frame.Body, out ulong requestId, out string user)) return false;
        _ = AnswerAsync(session, requestId, user); // the take waits for a commit: not on the read loop
        return true;
    }

    private async Task AnswerAsync(PeerSession session, ulong requestId, string user)
    {
        var link = session.Link;
        PrekeyFetchResult result;
        try { result = await local.FetchAsync(user, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex)
        {
            logger.LogError(ex, "Taking the prekey bundles of {User} for {Peer} failed.", user, link.RemoteId);
            result = PrekeyFetchResult.Unavailable;
        }
        link.SendOn(session, PeerFrames.PrekeyAnswer(new PrekeyBundlesBody(requestId, result.Status, user, result.Bundles, 0, result.DeviceList)));
    }
}
