namespace FastChat.Server.Cluster;

/// <summary>
/// Cluster settings (the "FastChat:Cluster" section). Without <see cref="Etcd"/> the server is a
/// fleet of one and none of this is used.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>etcd endpoints, comma-separated (<c>http://127.0.0.1:2379</c>); empty = single node.</summary>
    public string Etcd { get; set; } = "";
    /// <summary>The key prefix in etcd (<c>/fastchat/NAME/</c>): several clusters may share one etcd.</summary>
    public string Name { get; set; } = "fastchat";
    /// <summary>This node's id, unique and stable across restarts (its partitions are recorded under it).</summary>
    public string NodeId { get; set; } = "";
    /// <summary>The address clients and peers dial to reach this node (required when listening on 0.0.0.0).</summary>
    public string AdvertiseAddress { get; set; } = "";
    /// <summary>Peer links listen here, on the client listen address; 0 = the client port + 1000.</summary>
    public int PeerPort { get; set; }
    /// <summary>The partition table is created once this many nodes are live (every node should say the same).</summary>
    public int BootstrapExpect { get; set; } = 1;
    /// <summary>Fixed for the life of a cluster: it decides where every user lives.</summary>
    public int Partitions { get; set; } = Partitioning.UserPartitioner.DefaultPartitions;
    /// <summary>A node whose keepalives stop is dropped from the members after this long.</summary>
    public int LeaseTtlSeconds { get; set; } = 5;
    /// <summary>Frames waiting for one peer link before new ones are refused (backpressure).</summary>
    public int PeerQueueFrames { get; set; } = 65536;

    /// <summary>A graceful stop waits this long for the other nodes to take this node's partitions.</summary>
    public int LeaveTimeoutSeconds { get; set; } = 60;
    /// <summary>Entries for a moving partition wait this long for its new home before they are refused as unavailable.</summary>
    public int HoldSeconds { get; set; } = 30;
    /// <summary>Entries held at once, over all moving partitions, before new ones are refused.</summary>
    public int HoldEntries { get; set; } = 100_000;
    /// <summary>
    /// Copies of every partition: 2 (its owner and a replica on another node, when the cluster has
    /// two or more: ✓ then means durable on both, and a dead owner fails over) or 1 (the owner alone).
    /// </summary>
    public int ReplicationFactor { get; set; } = 2;
    /// <summary>Bytes a primary keeps for one replica that has not acknowledged them; past it, that replica is synced again from a snapshot.</summary>
    public long MaxReplicaLagBytes { get; set; } = 64L << 20;

    public bool Enabled => !string.IsNullOrWhiteSpace(Etcd);

    public IReadOnlyList<Uri> EtcdEndpoints() => EtcdParts().Select(e => new Uri(e)).ToArray();

    private string[] EtcdParts() => Etcd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string KeyPrefix => $"/fastchat/{Name}/";
    public string MembersPrefix => KeyPrefix + "members/";
    public string TableKey => KeyPrefix + "partition-table";
    /// <summary><c>handoff/EPOCH/NODE</c>: NODE has handed off every partition leaving it under EPOCH.</summary>
    public string HandoffPrefix => KeyPrefix + "handoff/";
    /// <summary><c>insync/EPOCH/NODE</c>: every replica of NODE holds all NODE wrote, under EPOCH (a failover may promote them).</summary>
    public string InSyncPrefix => KeyPrefix + "insync/";

    public void Validate(string listenAddress, int clientPort)
    {
        if (!Enabled) return;
        foreach (var part in EtcdParts())
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"FastChat:Cluster:Etcd: \"{part}\" is not an http(s) URL.");
        if (clientPort == 0) throw new ArgumentException("FastChat:Port must be a fixed port in cluster mode (members publish it).");
        if (!Protocol.Wire.UserName.IsValid(NodeId))
            throw new ArgumentException("FastChat:Cluster:NodeId is required in cluster mode: 3-32 characters of a-z 0-9 . _ -.");
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('/')) throw new ArgumentException("FastChat:Cluster:Name must be non-empty, without '/'.");
        if (listenAddress is "0.0.0.0" or "::" && string.IsNullOrWhiteSpace(AdvertiseAddress))
            throw new ArgumentException("FastChat:Cluster:AdvertiseAddress is required when listening on every interface.");
        if (EffectivePeerPort(clientPort) is < 1 or > 65535) throw new ArgumentException("FastChat:Cluster:PeerPort must be 1-65535.");
        if (BootstrapExpect < 1) throw new ArgumentException("FastChat:Cluster:BootstrapExpect must be positive.");
        if (Partitions is < 1 or > 65536) throw new ArgumentException("FastChat:Cluster:Partitions must be 1-65536.");
        if (LeaseTtlSeconds is < 2 or > 300) throw new ArgumentException("FastChat:Cluster:LeaseTtlSeconds must be 2-300.");
        if (LeaveTimeoutSeconds is < 1 or > 3600) throw new ArgumentException("FastChat:Cluster:LeaveTimeoutSeconds must be 1-3600.");
        if (HoldSeconds is < 1 or > 600) throw new ArgumentException("FastChat:Cluster:HoldSeconds must be 1-600.");
        if (HoldEntries < 1) throw new ArgumentException("FastChat:Cluster:HoldEntries must be positive.");
        if (ReplicationFactor is < 1 or > 2) throw new ArgumentException("FastChat:Cluster:ReplicationFactor must be 1 or 2.");
        if (MaxReplicaLagBytes < 1 << 20) throw new ArgumentException("FastChat:Cluster:MaxReplicaLagBytes must be at least 1 MiB.");
        if (PeerQueueFrames < 16) throw new ArgumentException("FastChat:Cluster:PeerQueueFrames must be at least 16.");
    }

    public int EffectivePeerPort(int clientPort) => PeerPort > 0 ? PeerPort : clientPort + 1000;

    public string Advertised(string listenAddress) => string.IsNullOrWhiteSpace(AdvertiseAddress) ? listenAddress : AdvertiseAddress;
}
