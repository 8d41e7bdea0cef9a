using FastChat.Protocol.Wire;
using FastChat.Server.Connections;
using FastChat.Server.Delivery;
using FastChat.Server.Storage;
using FastChat.Server.Transport;

namespace FastChat.Server.Hosting;

/// <summary>
/// Server settings, bound from the "FastChat" configuration section: the one flat surface operators
/// see. Hosting hands each module only its own part (<see cref="Connections"/>, <see cref="Delivery"/>,
/// <see cref="Storage"/>, <see cref="EpollTransport"/>), so no module depends on Hosting.
/// </summary>
public sealed class FastChatOptions
{
    public const string Section = "FastChat";

    /// <summary>Address to listen on; "0.0.0.0" for every interface.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";
    public int Port { get; set; } = 5222;
    /// <summary>
    /// HTTP for operators (Prometheus /metrics, /health/live, /health/ready, /cluster): -1 = the
    /// client port + 2000 when the client port is fixed (off when it is 0); 0 = off.
    /// </summary>
    public int HttpPort { get; set; } = -1;
    public int EffectiveHttpPort => HttpPort >= 0 ? HttpPort : Port > 0 && Port + 2000 <= 65535 ? Port + 2000 : 0;
    /// <summary>"epoll" (Linux: FastChat's own lean transport) or "sockets" (Kestrel's socket transport).</summary>
    public string Transport { get; set; } = "epoll";
    /// <summary>Epoll event loops (threads doing all socket I/O and record processing); 0 = one per two cores.</summary>
    public int EventLoops { get; set; }
    public int EffectiveEventLoops => EventLoops > 0 ? EventLoops : Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>Pending connections the kernel queues before accept (capped by net.core.somaxconn).</summary>
    public int ListenBacklog { get; set; } = 4096;
    /// <summary>Where the FASTER store, server key and registration secret live.</summary>
    public string DataDirectory { get; set; } = "data";
    public string ServerName { get; set; } = "fastchat";

    public int HandshakeTimeoutSeconds { get; set; } = 10;
    /// <summary>After this long without input the server sends PING.</summary>
    public int KeepaliveSeconds { get; set; } = 30;
    /// <summary>After this long without input the connection is closed.</summary>
    public int IdleTimeoutSeconds { get; set; } = 90;

    /// <summary>Undelivered-and-unacked DELIVER frames in flight to one connection.</summary>
    public int DeliveryWindow { get; set; } = 256;
    public int DeliveryWindowBytes { get; set; } = 512 * 1024;
    /// <summary>Plaintext bytes waiting to be written to one connection before it is closed as a slow reader.</summary>
    public int MaxOutboundBytes { get; set; } = 1024 * 1024;

    public int MaxPayloadBytes { get; set; } = ProtocolLimits.MaxPayload;
    /// <summary>Frames a client may send per second (token bucket) and the burst above it.</summary>
    public int MaxFramesPerSecond { get; set; } = 20000;
    public int FrameBurst { get; set; } = 40000;

    /// <summary>Queued entries older than this many days (fractions allowed) are dropped, not delivered.</summary>
    public double OfflineTtlDays { get; set; } = 30;
    /// <summary>Entries (messages and receipts) one user's queue may hold.</summary>
    public int QueueQuota { get; set; } = 10000;

    /// <summary>Development only: register any free name without a code.</summary>
    public bool OpenRegistration { get; set; }
    public int RegistrationAttempts { get; set; } = 5;

    /// <summary>Prekey directory: one-time prekeys per upload and in stock per device; the low-water notice.</summary>
    public int PrekeyUploadMax { get; set; } = 100;
    public int PrekeyStockMax { get; set; } = 200;
    public int PrekeyLowWater { get; set; } = 20;
    /// <summary>Days after which a signed prekey is reported due for rotation.</summary>
    public double SignedPrekeyRotationDays { get; set; } = 7;
    /// <summary>One-time prekeys a device hands out per hour at most (past it, bundles go without one).</summary>
    public int PrekeyHandoutsPerHour { get; set; } = 100;
    /// <summary>Bundle fetches per requesting user: burst and refill per minute.</summary>
    public int PrekeyFetchBurst { get; set; } = 50;
    public int PrekeyFetchesPerMinute { get; set; } = 20;
    /// <summary>Prekey uploads per device: burst and refill per minute.</summary>
    public int PrekeyUploadBurst { get; set; } = 10;
    public int PrekeyUploadsPerMinute { get; set; } = 2;
    /// <summary>Devices an account's signed list may name: the primary and its linked companions.</summary>
    public int MaxDevicesPerAccount { get; set; } = 5;

    /// <summary>Members a group may have (protocol-spec/14-groups.md), at most 1024.</summary>
    public int MaxGroupMembers { get; set; } = ProtocolLimits.MaxGroupMembers;
    /// <summary>How long a new device may wait for its primary to approve it.</summary>
    public TimeSpan LinkTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Group commit: the longest a durable acknowledgement waits for company.</summary>
    public int CommitIntervalMicroseconds { get; set; } = 1000;
    public int StoreMemoryMegabytes { get; set; } = 256;
    /// <summary>Hash buckets of the KV index (64 B each, 8 keys; more keys chain into buckets allocated on use).</summary>
    public int StoreIndexBuckets { get; set; } = KvIndex.DefaultBuckets;
    /// <summary>Compact the store's log when it spans more than this.</summary>
    public int CompactionThresholdMegabytes { get; set; } = 1024;
    public int CompactionIntervalSeconds { get; set; } = 60;

    /// <summary>The "FastChat:Presence" section (protocol-spec/15-presence.md).</summary>
    public Presence.PresenceOptions Presence { get; set; } = new();

    /// <summary>The "FastChat:Media" section (protocol-spec/16-media.md).</summary>
    public Media.MediaOptions Media { get; set; } = new();

    /// <summary>The "FastChat:Cluster" section; without its Etcd setting the server is a single node.</summary>
    public Cluster.ClusterOptions Cluster { get; set; } = new();

    internal ConnectionOptions Connections => new()
    {
        ServerName = ServerName,
        HandshakeTimeout = TimeSpan.FromSeconds(HandshakeTimeoutSeconds),
        Keepalive = TimeSpan.FromSeconds(KeepaliveSeconds),
        IdleTimeout = TimeSpan.FromSeconds(IdleTimeoutSeconds),
        MaxOutboundBytes = MaxOutboundBytes,
        MaxPayloadBytes = MaxPayloadBytes,
        MaxFramesPerSecond = MaxFramesPerSecond,
        FrameBurst = FrameBurst,
        OpenRegistration = OpenRegistration,
        RegistrationAttempts = RegistrationAttempts,
    };

    internal DeliveryOptions Delivery => new()
    {
        Window = DeliveryWindow,
        WindowBytes = DeliveryWindowBytes,
        Quota = QueueQuota,
        OfflineTtl = TimeSpan.FromDays(OfflineTtlDays),
    };

    internal Prekeys.PrekeyOptions Prekeys => new()
    {
        MaxPerUpload = PrekeyUploadMax,
        MaxStock = PrekeyStockMax,
        LowWater = PrekeyLowWater,
        SignedPrekeyRotation = TimeSpan.FromDays(SignedPrekeyRotationDays),
        HandoutsPerHour = PrekeyHandoutsPerHour,
        FetchBurst = PrekeyFetchBurst,
        FetchesPerMinute = PrekeyFetchesPerMinute,
        UploadBurst = PrekeyUploadBurst,
        UploadsPerMinute = PrekeyUploadsPerMinute,
    };

    internal DeviceLists.DeviceOptions Devices => new() { MaxDevices = MaxDevicesPerAccount, LinkTimeout = LinkTimeout };

    internal Groups.GroupOptions Groups => new() { MaxMembers = MaxGroupMembers };

    internal StorageOptions Storage => new()
    {
        Directory = Path.Combine(DataDirectory, "store"),
        MemoryMegabytes = StoreMemoryMegabytes,
        IndexBuckets = StoreIndexBuckets,
        CommitInterval = TimeSpan.FromMicroseconds(CommitIntervalMicroseconds),
        CompactionThresholdBytes = CompactionThresholdMegabytes * 1024L * 1024L,
        CompactionInterval = TimeSpan.FromSeconds(CompactionIntervalSeconds),
    };

    internal EpollTransportOptions EpollTransport => new() { EventLoops = EffectiveEventLoops, ListenBacklog = ListenBacklog };

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException("FastChat:Port must be 0-65535.");
        if (HttpPort is < -1 or > 65535) throw new ArgumentException("FastChat:HttpPort must be -1 (automatic), 0 (off) or a port.");
        if (Transport is not ("epoll" or "sockets")) throw new ArgumentException("FastChat:Transport must be \"epoll\" or \"sockets\".");
        if (EventLoops is < 0 or > 256) throw new ArgumentException("FastChat:EventLoops must be 0 (automatic) to 256.");
        if (ListenBacklog < 1) throw new ArgumentException("FastChat:ListenBacklog must be positive.");
        if (MaxPayloadBytes is < 1 or > ProtocolLimits.MaxPayload)
            throw new ArgumentException($"FastChat:MaxPayloadBytes must be 1-{ProtocolLimits.MaxPayload}.");
        if (DeliveryWindow < 1) throw new ArgumentException("FastChat:DeliveryWindow must be positive.");
        if (MaxOutboundBytes < DeliveryWindowBytes + 2 * ProtocolLimits.MaxRecordPlaintext)
            throw new ArgumentException("FastChat:MaxOutboundBytes must exceed DeliveryWindowBytes by two records.");
        if (KeepaliveSeconds < 1 || IdleTimeoutSeconds <= KeepaliveSeconds)
            throw new ArgumentException("FastChat:IdleTimeoutSeconds must exceed KeepaliveSeconds.");
        if (CompactionThresholdMegabytes < 1 || CompactionIntervalSeconds < 1)
            throw new ArgumentException("FastChat:CompactionThresholdMegabytes and CompactionIntervalSeconds must be positive.");
        if (!(OfflineTtlDays > 0) || OfflineTtlDays > 3650) throw new ArgumentException("FastChat:OfflineTtlDays must be more than 0 and at most 3650.");
        if (QueueQuota < 1) throw new ArgumentException("FastChat:QueueQuota must be positive.");
        if (StoreMemoryMegabytes < 16) throw new ArgumentException("FastChat:StoreMemoryMegabytes must be at least 16.");
        if (StoreIndexBuckets < 1024 || (StoreIndexBuckets & (StoreIndexBuckets - 1)) != 0)
            throw new ArgumentException("FastChat:StoreIndexBuckets must be a power of two, at least 1024.");
        if (PrekeyUploadMax < 1 || PrekeyStockMax < PrekeyUploadMax || PrekeyStockMax > 1000)
            throw new ArgumentException("FastChat:PrekeyUploadMax must be positive and at most PrekeyStockMax, which is at most 1000.");
        if (PrekeyLowWater < 0 || PrekeyLowWater > PrekeyStockMax) throw new ArgumentException("FastChat:PrekeyLowWater must be 0 to PrekeyStockMax.");
        if (!(SignedPrekeyRotationDays > 0)) throw new ArgumentException("FastChat:SignedPrekeyRotationDays must be more than 0.");
        if (PrekeyHandoutsPerHour < 0 || PrekeyHandoutsPerHour > ushort.MaxValue) throw new ArgumentException("FastChat:PrekeyHandoutsPerHour must be 0-65535.");
        if (PrekeyFetchBurst < 1 || PrekeyFetchesPerMinute < 1 || PrekeyUploadBurst < 1 || PrekeyUploadsPerMinute < 1)
            throw new ArgumentException("FastChat:PrekeyFetchBurst, PrekeyFetchesPerMinute, PrekeyUploadBurst and PrekeyUploadsPerMinute must be positive.");
        if (MaxGroupMembers < 2 || MaxGroupMembers > ProtocolLimits.MaxGroupMembers)
            throw new ArgumentException($"FastChat:MaxGroupMembers must be 2-{ProtocolLimits.MaxGroupMembers}.");
        if (MaxDevicesPerAccount < 1 || MaxDevicesPerAccount > ProtocolLimits.MaxDevicesPerUser)
            throw new ArgumentException($"FastChat:MaxDevicesPerAccount must be 1-{ProtocolLimits.MaxDevicesPerUser}.");
        if (LinkTimeout <= TimeSpan.Zero) throw new ArgumentException("FastChat:LinkTimeout must be positive.");
        Presence.Validate();
        Media.Validate();
        Cluster.Validate(ListenAddress, Port);
    }
}
