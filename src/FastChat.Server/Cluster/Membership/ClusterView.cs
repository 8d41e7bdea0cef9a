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

    public bool IsSelf(string? nodeId) => string.Equals(nodeId, SelfId, StringComparison.Ordinal);

    /// <summary>Null when the node has no live lease (down, or not yet registered).</summary>
    public MemberRecord? Live(string nodeId) => Members.GetValueOrDefault(nodeId);

    public static ClusterView Empty(string selfId) => new(selfId, null, []);
}
