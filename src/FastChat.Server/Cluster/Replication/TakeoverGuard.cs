using FastChat.Server.Cluster.Membership;
using Microsoft.Extensions.Hosting;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// Fencing's last step: a table in which partitions this node owned (and was not handing off)
/// belong to another node means it was failed over — declared dead while it still ran, e.g. cut
/// off from etcd. Its replicas already refuse its frames (another epoch), so nothing it still
/// holds was acknowledged; it must never acknowledge any of it now either. It stops at once,
/// without shutdown code (which would flush and publish held commits), as <c>kill -9</c> would;
/// its supervisor restarts it, and it rejoins as a new member.
/// </summary>
internal sealed class TakeoverGuard(ClusterState state) : IHostedService
{
    private PartitionTable? _last;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        state.Changed += OnChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        state.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    /// <summary>True when <paramref name="next"/> gives away a partition <paramref name="self"/> owned under <paramref name="before"/> without a hand-off.</summary>
    public static bool TakenOver(PartitionTable before, PartitionTable next, string self) =>
        next.Epoch > before.Epoch && next.Partitions == before.Partitions && Enumerable.Range(0, before.Partitions)
            .Any(p => before.OwnerOf(p) == self && !before.IsMoving(p) && next.OwnerOf(p) != self);

    private void OnChanged(ClusterView view)
    {
        if (view.Table is not { } table) return;
        var before = _last;
        _last = table;
        if (before is null || !TakenOver(before, table, view.SelfId)) return;
        Console.Error.WriteLine($"fastchat-server: FATAL: epoch {table.Epoch} gave this node's partitions to their replicas (it was failed over); " +
            "stopping at once so that nothing it holds is acknowledged. Restart it: it rejoins as a new member.");
        Console.Error.Flush();
        Environment.FailFast("failed over while running");
    }
}
