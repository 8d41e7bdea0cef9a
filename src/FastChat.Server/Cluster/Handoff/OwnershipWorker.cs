using FastChat.Server.Cluster.Membership;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>
/// This node's part in ownership changes, one view at a time: while a change moves partitions
/// away from it, freeze and copy them to their new owners, then report the hand-off done in etcd
/// (the table that completes the change is written once every source has); after a change, drop
/// the records it no longer owns. On a graceful stop it leaves: it marks itself leaving, and waits
/// (bounded) until the others own all its partitions, so stopping a node loses none of its users' data.
/// </summary>
internal sealed class OwnershipWorker(ClusterOptions options, ClusterState state, HandoffSource source, HandoffTarget target,
    EtcdMembership membership, HandoffMetrics metrics, ILogger<OwnershipWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);
    private long _handedOff;
    private long _swept;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        state.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _changed.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                try { await ActAsync(state.View, stoppingToken).ConfigureAwait(false); }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
                catch (Exception ex) { logger.LogWarning(ex, "Ownership change step failed; retrying."); }
            }
        }
        catch (OperationCanceledException) { }
        finally { state.Changed -= OnChanged; }
    }

    private void OnChanged(ClusterView view) => _changed.Release();

    private async Task ActAsync(ClusterView view, CancellationToken cancellationToken)
    {
        if (view.Table is not { } table) return;
        if (!table.InTransition)
        {
            if (_swept == table.Epoch) return;
            int dropped = target.DropDisowned();
            _swept = table.Epoch;
            if (dropped > 0) logger.LogInformation("Dropped {Records} records of partitions this node no longer owns (epoch {Epoch}).", dropped, table.Epoch);
            return;
        }
        if (_handedOff == table.Epoch) return;
        var destinations = HandoffSource.Destinations(table, options.NodeId);
        if (destinations.Count > 0)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            await source.FreezeAsync(view, cancellationToken).ConfigureAwait(false);
            foreach (var destination in destinations)
                while (!await source.CopyAsync(table, destination, cancellationToken).ConfigureAwait(false))
                {
                    if (state.View.Epoch != table.Epoch) return; // superseded: act on the new view
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                }
            await membership.ReportHandedOffAsync(table.Epoch, cancellationToken).ConfigureAwait(false);
            metrics.HandedOff(started.Elapsed);
        }
        _handedOff = table.Epoch;
    }

    /// <summary>
    /// A graceful leave, run by the shutdown before anything stops (SIGTERM or drain): hand every
    /// partition of this node to the others, bounded by <see cref="ClusterOptions.LeaveTimeoutSeconds"/>.
    /// </summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        var view = state.View;
        if (view.Table is not { } table || table.CountOwnedBy(options.NodeId) == 0) return;
        if (!view.Members.Values.Any(m => !view.IsSelf(m.NodeId) && !m.Leaving))
        {
            logger.LogInformation("Leaving: no other live member to take this node's partitions; they stay on its disk.");
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.LeaveTimeoutSeconds));
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(ClusterView v)
        {
            if (v.Table is { } t && !t.InTransition && t.CountOwnedBy(options.NodeId) == 0) gone.TrySetResult();
        }
        state.Changed += Check;
        try
        {
            logger.LogInformation("Leaving the cluster: handing {Partitions} partitions to the other nodes.", table.CountOwnedBy(options.NodeId));
            await membership.SetLeavingAsync(timeout.Token).ConfigureAwait(false);
            Check(state.View);
            await gone.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            logger.LogInformation("Left the cluster: this node owns no partitions (epoch {Epoch}).", state.View.Epoch);
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException)
        {
            logger.LogWarning("Leaving did not complete ({Reason}); the remaining partitions stay on this node's disk until it returns.", ex.Message);
        }
        finally { state.Changed -= Check; }
    }
}
