using System.Collections.Frozen;
using FastChat.Server.Cluster.Partitioning;

namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// One immutable snapshot of the cluster as this node knows it: the agreed partition table (null
/// until the cluster has bootstrapped) and the members whose leases are alive. Replaced whole on
/// every change, so a reader holds one consistent view.
/// </summary>
public sealed class ClusterView
{
    public ClusterView(string selfId, PartitionTable? table, IEnumerable<MemberRecord> members)
    {
        SelfId = selfId;
        Table = table;
        Members = members.ToFrozenDictionary(m => m.NodeId, StringComparer.Ordinal);
    }

    public string SelfId { get; }
    public PartitionTable? Table { get; }
    public FrozenDictionary<string, MemberRecord> Members { get; }

    /// <summary>The table's epoch; 0 before bootstrap.</summary>
    public long Epoch => Table?.Epoch ?? 0;

    /// <summary>Null before bootstrap.</summary>
    public string? HomeOf(ReadOnlySpan<byte> user) =>
        Table is { } table ? table.OwnerOf(UserPartitioner.PartitionOf(user, table.Partitions)) : null;

    /// <summary>-1 before bootstrap.</summary>
    public int PartitionOf(ReadOnlySpan<byte> user) => Table is { } table ? UserPartitioner.PartitionOf(user, table.Partitions) : -1;

    /// <summary>True while the user's partition is being handed to another node: nobody writes it meanwhile.</summary>
    public bool IsMoving(int partition) => partition >= 0 && Table!.IsMoving(partition);

    /// <summary>This node is the user's home and the user is not moving: the only case in which it writes the user's data.</summary>
    public bool OwnsNow(ReadOnlySpan<byte> user)
    {
        if (Table is not { } table) return false;
        int partition = UserPartitioner.PartitionOf(user, table.Partitions);
        return IsSelf(table.OwnerOf(partition)) && !table.IsMoving(partition);
    }

    public bool IsSelf(string? nodeId) => string.Equals(nodeId, SelfId, StringComparison.Ordinal);

    /// <summary>Null when the node has no live lease (down, or not yet registered).</summary>
    public MemberRecord? Live(string nodeId) => Members.GetValueOrDefault(nodeId);

    public static ClusterView Empty(string selfId) => new(selfId, null, []);
}
