using FastChat.Server.Cluster.Membership;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// Tells etcd, once per table epoch, that every replica of this node holds all it wrote
/// (<c>insync/EPOCH/NODE</c>): from then on every ✓ waits for them too, so the coordinator may
/// promote them if this node dies under that epoch. Without the report its partitions wait for it.
/// </summary>
internal sealed class InSyncReports(ReplicaStreams streams, EtcdMembership membership)
{
    private long _reported;

    public void Check(long epoch)
    {
        if (epoch <= Volatile.Read(ref _reported) || !streams.All.All(s => s.InSyncAt(epoch))) return;
        long before = Interlocked.Exchange(ref _reported, epoch);
        if (before >= epoch) return;
        _ = membership.ReportAsync(membership.InSyncKey(epoch), "in sync", CancellationToken.None);
    }
}
