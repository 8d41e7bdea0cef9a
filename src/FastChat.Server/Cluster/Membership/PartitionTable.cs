using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// Who owns each partition, as agreed in etcd (one key, changed only by transactions). Its etcd
/// mod revision is the <see cref="Epoch"/> every forwarded frame carries: a node acts only on
/// the table it has, and a peer with another epoch is told so instead of obeyed.
/// A table in transition also names the <see cref="Next"/> owners: a partition whose next owner
/// differs is moving — frozen (nobody writes it) while its old owner copies it to the new one —
/// until a later table makes the next owners the owners.
/// </summary>
public sealed class PartitionTable
{
    [JsonPropertyName("nodes")] public string[] Nodes { get; init; } = [];
    /// <summary>For each partition, an index into <see cref="Nodes"/>.</summary>
    [JsonPropertyName("owners")] public ushort[] Owners { get; init; } = [];
    /// <summary>During an ownership change: each partition's owner once it completes; null otherwise.</summary>
    [JsonPropertyName("next")] public ushort[]? Next { get; init; }
    [JsonIgnore] public long Epoch { get; init; }

    public int Partitions => Owners.Length;

    [JsonIgnore] public bool InTransition => Next is not null;

    public string OwnerOf(int partition) => Nodes[Owners[partition]];

    /// <summary>The owner once the current change completes (the owner when none is under way).</summary>
    public string NextOwnerOf(int partition) => Nodes[(Next ?? Owners)[partition]];

    public bool IsMoving(int partition) => Next is { } next && next[partition] != Owners[partition];

    private ushort[]? _replicas;

    /// <summary>
    /// The node that keeps the copy of <paramref name="partition"/> when the cluster replicates
    /// (replication factor 2): the rendezvous runner-up among the table's nodes; null with one node.
    /// Derived from the table, so every node agrees on it under one epoch.
    /// </summary>
    public string? ReplicaOf(int partition)
    {
        var replicas = _replicas ??= Partitioning.RendezvousAssigner.RunnersUp(Nodes, Owners);
        return replicas[partition] == ushort.MaxValue ? null : Nodes[replicas[partition]];
    }

    public int CountOwnedBy(string nodeId)
    {
        int index = Array.IndexOf(Nodes, nodeId);
        return index < 0 ? 0 : Owners.Count(o => o == index);
    }

    /// <summary>The nodes that own at least one partition now.</summary>
    public IEnumerable<string> Owning() => Owners.Distinct().Select(i => Nodes[i]);

    public static PartitionTable Create(IReadOnlyList<string> nodeIds, int partitions)
    {
        var sorted = nodeIds.OrderBy(id => id, StringComparer.Ordinal).ToArray();
        return new PartitionTable { Nodes = sorted, Owners = Partitioning.RendezvousAssigner.Assign(sorted, partitions) };
    }

    /// <summary>A change from this table to the assignment over <paramref name="nodeIds"/>; null when nothing would move.</summary>
    public PartitionTable? TransitionTo(IReadOnlyList<string> nodeIds)
    {
        var target = Create(nodeIds, Partitions);
        var nodes = Nodes.Union(target.Nodes, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var owners = Owners.Select(o => (ushort)Array.IndexOf(nodes, Nodes[o])).ToArray();
        var next = target.Owners.Select(o => (ushort)Array.IndexOf(nodes, target.Nodes[o])).ToArray();
        if (owners.SequenceEqual(next)) return null;
        return new PartitionTable { Nodes = nodes, Owners = owners, Next = next };
    }

    /// <summary>The table after the change: the next owners own, and nodes that own nothing are gone.</summary>
    public PartitionTable Completed()
    {
        var next = Next ?? Owners;
        var nodes = next.Distinct().Select(i => Nodes[i]).Order(StringComparer.Ordinal).ToArray();
        return new PartitionTable { Nodes = nodes, Owners = next.Select(o => (ushort)Array.IndexOf(nodes, Nodes[o])).ToArray() };
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ClusterJson.Default.PartitionTable);

    /// <summary>Null when the stored value is not a valid table (it is then ignored and logged by the caller).</summary>
    public static PartitionTable? FromJson(ReadOnlySpan<byte> json, long epoch)
    {
        PartitionTable? table;
        try { table = JsonSerializer.Deserialize(json, ClusterJson.Default.PartitionTable); }
        catch (JsonException) { return null; }
        if (table is null || table.Nodes.Length == 0 || table.Owners.Length == 0 || table.Owners.Any(o => o >= table.Nodes.Length)) return null;
        if (table.Next is { } next && (next.Length != table.Owners.Length || next.Any(o => o >= table.Nodes.Length))) return null;
        return new PartitionTable { Nodes = table.Nodes, Owners = table.Owners, Next = table.Next, Epoch = epoch };
    }
}

[JsonSerializable(typeof(MemberRecord))]
[JsonSerializable(typeof(PartitionTable))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ClusterJson : JsonSerializerContext;
