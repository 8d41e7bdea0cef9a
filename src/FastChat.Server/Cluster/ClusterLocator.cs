using FastChat.Server.Routing;

namespace FastChat.Server.Cluster;

/// <summary>Homes by the agreed partition table; before bootstrap no user is local.</summary>
internal sealed class ClusterLocator(ClusterState state) : IUserLocator
{
    public UserLocation Locate(ReadOnlySpan<byte> user)
    {
        var view = state.View;
        var home = view.HomeOf(user);
        if (home is null) return new UserLocation(false);
        if (view.IsSelf(home)) return UserLocation.Local;
        var member = view.Live(home);
        return new UserLocation(false, member?.ClientEndpoint, member?.PublicKey(), view.Epoch);
    }
}
