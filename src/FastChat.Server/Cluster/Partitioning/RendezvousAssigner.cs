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
        for (int p = 0; p < partitions; p++) owners[p] = (ushort)Best(nodeIds, prefixes, p, exclude: -1, buffer);
        return owners;
    }

    /// <summary>
    /// For each partition, the index of the runner-up — the highest-scoring node other than
    /// <paramref name="owners"/>' choice — or <see cref="ushort.MaxValue"/> with a single node: the
    /// replica. Rendezvous again, so a node joining or leaving moves few replicas too.
    /// </summary>
    public static ushort[] RunnersUp(IReadOnlyList<string> nodeIds, ushort[] owners)
    {
        var prefixes = nodeIds.Select(id => System.Text.Encoding.UTF8.GetBytes(id)).ToArray();
        var runnersUp = new ushort[owners.Length];
        Span<byte> buffer = stackalloc byte[prefixes.Max(p => p.Length) + 4];
        for (int p = 0; p < owners.Length; p++)
            runnersUp[p] = Best(nodeIds, prefixes, p, exclude: owners[p], buffer) is >= 0 and var best ? (ushort)best : ushort.MaxValue;
        return runnersUp;
    }

    /// <summary>The index of the highest-scoring node for <paramref name="partition"/> other than <paramref name="exclude"/>; -1 if none.</summary>
    private static int Best(IReadOnlyList<string> nodeIds, byte[][] prefixes, int partition, int exclude, Span<byte> buffer)
    {
        int best = -1;
        ulong bestScore = 0;
        for (int n = 0; n < prefixes.Length; n++)
        {
            if (n == exclude) continue;
            ulong score = Score(prefixes[n], partition, buffer);
            if (best < 0 || score > bestScore || (score == bestScore && string.CompareOrdinal(nodeIds[n], nodeIds[best]) < 0))
            {
                best = n;
                bestScore = score;
            }
        }
        return best;
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
