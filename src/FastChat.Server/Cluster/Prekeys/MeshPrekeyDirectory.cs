using System.Text;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Prekeys;

namespace FastChat.Server.Cluster.Prekeys;

/// <summary>
/// A cluster node's prekey directory: bundles are taken at the target's home — here, or by a
/// PREKEY_REQUEST to the home over its peer link. A home that is moving, not live or not connected
/// answers unavailable at once (the client retries after a moment) rather than holding the request.
/// </summary>
internal sealed class MeshPrekeyDirectory(ClusterState state, PeerMesh mesh, PrekeyReplies replies, LocalPrekeyDirectory local, TimeProvider time)
    : IPrekeyDirectory
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    public async Task<PrekeyFetchResult> FetchAsync(string target, CancellationToken cancellationToken)
    {
        var view = state.View;
        var user = Encoding.ASCII.GetBytes(target);
        int partition = view.PartitionOf(user);
        if (partition < 0 || view.IsMoving(partition)) return PrekeyFetchResult.Unavailable;
        string home = view.Table!.OwnerOf(partition);
        if (view.IsSelf(home)) return await local.FetchAsync(target, cancellationToken).ConfigureAwait(false);
        if (view.Live(home) is null || mesh.Link(home) is not { Session: not null } link) return PrekeyFetchResult.Unavailable;

        var (id, answer) = replies.Expect(target);
        try
        {
            link.Send(PeerFrames.PrekeyRequest(id, user));
            return await answer.WaitAsync(AnswerTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) { return PrekeyFetchResult.Unavailable; }
        finally { replies.Forget(id); }
    }
}
