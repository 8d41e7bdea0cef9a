using System.Collections.Frozen;

namespace FastChat.Server.Cluster.Replication;

/// <summary>This node's streams to its replicas, one per replica node: replaced whole when one is added, read without a lock on every write.</summary>
internal sealed class ReplicaStreams
{
    private readonly object _gate = new();
    private volatile FrozenDictionary<string, ReplicaStream> _byNode = FrozenDictionary<string, ReplicaStream>.Empty;

    public IReadOnlyCollection<ReplicaStream> All => _byNode.Values;

    public bool TryGet(string node, out ReplicaStream stream) => _byNode.TryGetValue(node, out stream!);

    /// <summary>The stream to <paramref name="node"/>; <paramref name="create"/> runs once, under the lock, for a new one.</summary>
    public ReplicaStream GetOrAdd(string node, Func<string, ReplicaStream> create)
    {
        if (_byNode.TryGetValue(node, out var stream)) return stream;
        lock (_gate)
        {
            if (_byNode.TryGetValue(node, out stream)) return stream;
            stream = create(node);
            _byNode = _byNode.Append(new KeyValuePair<string, ReplicaStream>(node, stream)).ToFrozenDictionary(StringComparer.Ordinal);
            return stream;
        }
    }
}
