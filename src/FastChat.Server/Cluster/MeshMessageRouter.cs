using FastChat.Server.Cluster.Peers;
using FastChat.Server.Routing;

namespace FastChat.Server.Cluster;

/// <summary>
/// The router of a cluster node: users this node is home of go to the local queues; anyone
/// else's entries are forwarded to their home node over its peer link and answered when the
/// home has them durably (<see cref="RouteResult.Pending"/>).
/// </summary>
internal sealed class MeshMessageRouter(ClusterState state, LocalMessageRouter local, PeerMesh mesh) : IMessageRouter
{
    public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token)
    {
        var view = state.View;
        var home = view.HomeOf(request.Recipient);
        if (home is null) return RouteResult.Unavailable; // not bootstrapped yet
        if (view.IsSelf(home)) return local.RouteHere(request);
        return mesh.Forward(request, view, home, completion, token);
    }
}
