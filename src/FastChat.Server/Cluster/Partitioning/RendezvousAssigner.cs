using System.Buffers.Binary;
using System.IO.Hashing;

namespace FastChat.Server.Cluster.Partitioning;

/// <summary>
/// Highest-random-weight (rendezvous) assignment of partitions to nodes: partition p goes to the
/// node with the highest XXH3-64 of (node id UTF-8 ‖ p as u32 little-endian), ties to the
/// ordinally smaller id. Deterministic from the member set alone, so every node computes the
/// same table; a node joining takes ≈ 1/(N+1) of the partitions, each from whoever had it, and
/// nothing else moves (the minimal movement a ring with virtual nodes only approximates).
/// </summary>
public static class RendezvousAssigner
{
    /// <returns>For each partition, the index into <paramref name="nodeIds"/> of its owner.</returns>
    public static ushort[] Assign(IReadOnlyList<string> nodeIds, int partitions)
    {
        if (nodeIds.Count == 0) throw new ArgumentException("No nodes to assign partitions to.", nameof(nodeIds));
        if (nodeIds.Count > ushort.MaxValue) throw new ArgumentException("Too many nodes.", nameof(nodeIds));
        var prefixes = nodeIds.Select(id => System.Text.Encoding.UTF8.GetBytes(id)).ToArray();
        var owners = new ushort[partitions];
        Span<byte> buffer = stackalloc byte[prefixes.Max(p => p.Length) + 4];
        for (int p = 0; p < partitions; p++)
        {
            int best = -1;
            ulong bestScore = 0;
            for (int n = 0; n < prefixes.Length; n++)
            {
                ulong score = Score(prefixes[n], p, buffer);
                if (best < 0 || score > bestScore || (score == bestScore && string.CompareOrdinal(nodeIds[n], nodeIds[best]) < 0))
                {
                    best = n;
                    bestScore = score;
                }
            }
            owners[p] = (ushort)best;
        }
        return owners;
    }

    /// <summary>One node's score for one partition (the spec's formula; tests check it against the C library).</summary>
    internal static ulong ScoreOf(string nodeId, int partition)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes(nodeId);
        return Score(prefix, partition, new byte[prefix.Length + 4]);
    }

    private static ulong Score(byte[] nodeId, int partition, Span<byte> buffer)
    {
        nodeId.CopyTo(buffer);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[nodeId.Length..], (uint)partition);
        return XxHash3.HashToUInt64(buffer[..(nodeId.Length + 4)]);
    }
}
