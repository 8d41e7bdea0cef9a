using FastChat.Server.Cluster.Membership;

namespace FastChat.Server.Cluster;

/// <summary>
/// Owns the current <see cref="ClusterView"/>: membership publishes, everyone else reads the
/// latest snapshot (a volatile reference; no lock on the message path) or subscribes to changes.
/// </summary>
public sealed class ClusterState(string selfId)
{
    private volatile ClusterView _view = ClusterView.Empty(selfId);
    private readonly TaskCompletionSource _bootstrapped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClusterView View => _view;

    /// <summary>Completes once a partition table is known.</summary>
    public Task Bootstrapped => _bootstrapped.Task;

    /// <summary>Raised after each new view, on the membership thread; handlers must be quick.</summary>
    public event Action<ClusterView>? Changed;

    internal void Publish(ClusterView view)
    {
        _view = view;
        if (view.Table is not null) _bootstrapped.TrySetResult();
        Changed?.Invoke(view);
    }
}
