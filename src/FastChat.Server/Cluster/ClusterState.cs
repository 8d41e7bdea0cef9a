using FastChat.Server.Cluster.Membership;

namespace FastChat.Server.Cluster;

/// <summary>
/// Owns the current <see cref="ClusterView"/>: membership publishes, everyone else reads the
/// latest snapshot (a volatile reference; no lock on the message path) or subscribes to changes.
/// </summary>
public sealed class ClusterState(string selfId)
{
    private volatile ClusterView _view = ClusterView.Empty(selfId);

    public ClusterView View => _view;

    /// <summary>Raised after each new view, on the membership thread; handlers must be quick.</summary>
    public event Action<ClusterView>? Changed;

    internal void Publish(ClusterView view)
    {
        _view = view;
        Changed?.Invoke(view);
    }
}
