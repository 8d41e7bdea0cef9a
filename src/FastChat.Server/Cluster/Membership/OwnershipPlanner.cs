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

    /// <summary>The nodes that must report their hand-off before the change completes.</summary>
    public static IEnumerable<string> Sources(PartitionTable table) =>
        Enumerable.Range(0, table.Partitions).Where(table.IsMoving).Select(table.OwnerOf).Distinct(StringComparer.Ordinal);

    /// <summary>The etcd key (after the hand-off prefix) that says <paramref name="node"/> handed off under <paramref name="epoch"/>.</summary>
    public static string HandedOffKey(long epoch, string node) => $"{epoch}/{node}";
}
