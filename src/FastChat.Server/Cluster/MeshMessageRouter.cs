using FastChat.Server.Cluster.Partitioning;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Routing;
using FastChat.Server.Storage;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster;

/// <summary>
/// The router of a cluster node: users this node is home of go to the local queues; anyone
/// else's entries are forwarded to their home node over its peer link and answered when the
/// home has them durably (<see cref="RouteResult.Pending"/>). Entries for a partition that is
/// moving, or whose home is away for a moment, wait in <see cref="ParkedRoutes"/> (bounded) and
/// go, in order, once the home serves it; past the hold time they are refused as unavailable.
/// </summary>
internal sealed class MeshMessageRouter : IMessageRouter, IDisposable
{
    private readonly ClusterState _state;
    private readonly LocalMessageRouter _local;
    private readonly PeerMesh _mesh;
    private readonly ParkedRoutes _parked;
    private readonly GroupCommit _commit;
    private readonly ITimer _retry;
    private readonly ILogger _logger;
    private int _releasing;

    public MeshMessageRouter(ClusterState state, LocalMessageRouter local, PeerMesh mesh, ParkedRoutes parked, GroupCommit commit, TimeProvider time,
        ILogger<MeshMessageRouter> logger)
    {
        _logger = logger;
        _state = state;
        _local = local;
        _mesh = mesh;
        _parked = parked;
        _commit = commit;
        local.Outbound = this; // a group's home forwards member copies through the mesh
        // A new view may free what waits; so may a peer that catches up with our epoch (no view change here).
        _state.Changed += _ => Release();
        _retry = time.CreateTimer(_ => Release(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
    }

    public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token)
    {
        var spin = new SpinWait();
        while (true)
        {
            long handBacks = _parked.HandBackVersion; // before looking at the parking: see ParkedRoutes.HandBackVersion
            var view = _state.View;
            if (view.Table is not { } table) return RouteResult.Unavailable; // not bootstrapped yet
            int partition = UserPartitioner.PartitionOf(request.Recipient, table.Partitions);
            if (table.IsMoving(partition) || _parked.Holds(partition)) return Park(request, partition, completion, token, "moving or behind held ones");
            var result = RouteTo(request, view, table.OwnerOf(partition), completion, token, handBacks);
            // A home that is moving, or briefly away (no live lease, a full link), gets the entry later.
            if (result is RouteResult.NotOwned or RouteResult.Unavailable) return Park(request, partition, completion, token, result.ToString());
            if (result != RouteResult.Retry) return result;
            spin.SpinOnce(); // a link is handing entries back to the parking; then they are ahead of this one
        }
    }

    private RouteResult Park(in RouteRequest request, int partition, IRouteCompletion? completion, ulong token, string why)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
            _logger.LogDebug("Held {From}->{To} {MessageId} ({Why}).", request.FromName, System.Text.Encoding.ASCII.GetString(request.Recipient), request.MessageId, why);
        return _parked.Park(request, partition, completion, token);
    }

    private RouteResult RouteTo(in RouteRequest request, Membership.ClusterView view, string home, IRouteCompletion? completion, ulong token, long handBacks) =>
        view.IsSelf(home) ? _local.RouteHere(request) : _mesh.Forward(request, view, home, completion, token, handBacks);

    /// <summary>Offers the held entries to the current view; finished ones are answered.</summary>
    private void Release()
    {
        if (_parked.Count == 0 || Interlocked.Exchange(ref _releasing, 1) == 1) return;
        try
        {
            foreach (var (entry, result) in _parked.Release(RouteParked)) Complete(entry, result);
        }
        finally { Volatile.Write(ref _releasing, 0); }
    }

    private RouteResult RouteParked(ParkedRoutes.Entry entry)
    {
        var view = _state.View;
        if (view.Table is not { } table || table.IsMoving(entry.Partition)) return RouteResult.NotOwned;
        return RouteTo(entry.Request, view, table.OwnerOf(entry.Partition), entry.Completion, entry.Token, _parked.HandBackVersion);
    }

    private void Complete(ParkedRoutes.Entry entry, RouteResult result)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
            _logger.LogDebug("Released {From}->{To} {MessageId}: {Result}.", entry.FromName, System.Text.Encoding.ASCII.GetString(entry.Recipient), entry.MessageId, result);
        if (entry.Completion is not { } completion || result == RouteResult.Pending) return; // a peer answers it later
        if (result == RouteResult.Queued)
            _ = _commit.WaitForCommitAsync().ContinueWith(_ => completion.OnRouted(entry.Token, RouteResult.Queued), TaskScheduler.Default);
        else completion.OnRouted(entry.Token, result);
    }

    public void Dispose() => _retry.Dispose();
}
