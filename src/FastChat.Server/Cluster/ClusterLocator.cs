using FastChat.Server.Routing;

namespace FastChat.Server.Cluster;

/// <summary>
/// Homes by the agreed partition table. Before bootstrap no user is local; while a user's
/// partition moves, the user has no home to go to (the client retries shortly).
/// </summary>
internal sealed class ClusterLocator(ClusterState state) : IUserLocator
{
    public UserLocation Locate(ReadOnlySpan<byte> user)
    {
        var view = state.View;
        int partition = view.PartitionOf(user);
        if (partition < 0 || view.IsMoving(partition)) return new UserLocation(false);
        var home = view.Table!.OwnerOf(partition);
        return view.IsSelf(home) ? UserLocation.Local : Elsewhere(view, home);
    }

    /// <summary>Where a client finds <paramref name="nodeId"/>: no endpoint when it has no live lease.</summary>
    public static UserLocation Elsewhere(Membership.ClusterView view, string nodeId)
    {
        var member = view.Live(nodeId);
        return new UserLocation(false, member?.ClientEndpoint, member?.PublicKey(), view.Epoch);
    }
}
