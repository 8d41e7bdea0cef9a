namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// When the cluster changes ownership, and to what (pure functions of the table and the live
/// members, so every node computes the same). A change starts only when no change is under way
/// and every current owner is live (a dead owner's data is on its disk alone: its partitions wait
/// for it); the target is every live member not leaving. One node proposes — the coordinator,
/// the smallest live id not leaving — and the etcd transaction on the table's revision makes a
/// stale proposal fail.
/// </summary>
internal static class OwnershipPlanner
{
    public static string? Coordinator(IReadOnlyDictionary<string, MemberRecord> live) =>
        live.Values.Where(m => !m.Leaving).Select(m => m.NodeId).Order(StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The change to start now, or null.</summary>
    public static PartitionTable? Propose(PartitionTable table, IReadOnlyDictionary<string, MemberRecord> live)
    {
        if (table.InTransition || table.Owning().Any(owner => !live.ContainsKey(owner))) return null;
        var target = live.Values.Where(m => !m.Leaving).Select(m => m.NodeId).ToArray();
        return target.Length == 0 ? null : table.TransitionTo(target); // the last one out keeps its data
    }

    /// <summary>
    /// Failover (replication factor 2), when no change is under way: each partition whose owner has
    /// no live lease goes to its replica, if that replica is live and the dead owner had reported
    /// its replicas in sync under this epoch (else the partition waits for its owner to return).
    /// Nodes left owning nothing leave the table, so replicas are placed again over the rest.
    /// Null when nothing can be promoted.
    /// </summary>
    public static PartitionTable? Failover(PartitionTable table, IReadOnlyDictionary<string, MemberRecord> live, Func<string, bool> reportedInSync)
    {
        if (table.InTransition) return null;
        var owners = (ushort[])table.Owners.Clone();
        bool any = false;
        for (int p = 0; p < owners.Length; p++)
        {
            var owner = table.OwnerOf(p);
            if (live.ContainsKey(owner) || !reportedInSync(owner) || table.ReplicaOf(p) is not { } replica || !live.ContainsKey(replica)) continue;
            owners[p] = (ushort)Array.IndexOf(table.Nodes, replica);
            any = true;
        }
        return any ? new PartitionTable { Nodes = table.Nodes, Owners = owners }.Completed() : null;
    }

    /// <summary>
    /// A change under way whose target has died (a joining node killed, say) can never complete:
    /// the table without the change (the owners, who still hold every record, keep their
    /// partitions; partial copies are swept), so that a new change over the live members can start.
    /// Null when every next owner is live.
    /// </summary>
    public static PartitionTable? Abandon(PartitionTable table, IReadOnlyDictionary<string, MemberRecord> live)
    {
        if (!table.InTransition || Enumerable.Range(0, table.Partitions).All(p => !table.IsMoving(p) || live.ContainsKey(table.NextOwnerOf(p)))) return null;
        return new PartitionTable { Nodes = table.Nodes, Owners = table.Owners }.Completed();
    }

    /// <summary>The nodes that must report their hand-off before the change completes.</summary>
    public static IEnumerable<string> Sources(PartitionTable table) =>
        Enumerable.Range(0, table.Partitions).Where(table.IsMoving).Select(table.OwnerOf).Distinct(StringComparer.Ordinal);

    /// <summary>The marker key (after its prefix: hand-off done, replicas in sync) of <paramref name="node"/> under <paramref name="epoch"/>.</summary>
    public static string MarkerKey(long epoch, string node) => $"{epoch}/{node}";
}
