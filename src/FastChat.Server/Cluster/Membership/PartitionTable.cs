using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// Who owns each partition, as agreed in etcd (one key, changed only by transactions). Its etcd
/// mod revision is the <see cref="Epoch"/> every forwarded frame carries: a node acts only on
/// the table it has, and a peer with another epoch is told so instead of obeyed.
/// </summary>
public sealed class PartitionTable
{
    [JsonPropertyName("nodes")] public string[] Nodes { get; init; } = [];
    /// <summary>For each partition, an index into <see cref="Nodes"/>.</summary>
    [JsonPropertyName("owners")] public ushort[] Owners { get; init; } = [];
    [JsonIgnore] public long Epoch { get; init; }

    public int Partitions => Owners.Length;

    public string OwnerOf(int partition) => Nodes[Owners[partition]];

    public int CountOwnedBy(string nodeId)
    {
        int index = Array.IndexOf(Nodes, nodeId);
        return index < 0 ? 0 : Owners.Count(o => o == index);
    }

    public static PartitionTable Create(IReadOnlyList<string> nodeIds, int partitions)
    {
        var sorted = nodeIds.OrderBy(id => id, StringComparer.Ordinal).ToArray();
        return new PartitionTable { Nodes = sorted, Owners = Partitioning.RendezvousAssigner.Assign(sorted, partitions) };
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ClusterJson.Default.PartitionTable);

    /// <summary>Null when the stored value is not a valid table (it is then ignored and logged by the caller).</summary>
    public static PartitionTable? FromJson(ReadOnlySpan<byte> json, long epoch)
    {
        PartitionTable? table;
        try { table = JsonSerializer.Deserialize(json, ClusterJson.Default.PartitionTable); }
        catch (JsonException) { return null; }
        if (table is null || table.Nodes.Length == 0 || table.Owners.Length == 0 || table.Owners.Any(o => o >= table.Nodes.Length)) return null;
        return new PartitionTable { Nodes = table.Nodes, Owners = table.Owners, Epoch = epoch };
    }
}

[JsonSerializable(typeof(MemberRecord))]
[JsonSerializable(typeof(PartitionTable))]
internal sealed partial class ClusterJson : JsonSerializerContext;
