using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Partitioning;
using FastChat.Server.Storage;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>Where a store record belongs under a table: both ends of a hand-off and the disowned sweep ask the same.</summary>
internal static class RecordPartition
{
    /// <summary>The partition of the record's user; -1 for records of no single user (shared entries).</summary>
    public static int Of(PartitionTable table, ReadOnlySpan<byte> key) =>
        StoreKeys.TryGetUser(key, out var user) ? UserPartitioner.PartitionOf(user, table.Partitions) : -1;

    /// <summary>The record moves from node <paramref name="from"/> to node <paramref name="to"/> in the change under way.</summary>
    public static bool Moves(PartitionTable table, ReadOnlySpan<byte> key, string from, string to)
    {
        int partition = Of(table, key);
        return partition >= 0 && from != to && table.OwnerOf(partition) == from && table.NextOwnerOf(partition) == to;
    }
}
