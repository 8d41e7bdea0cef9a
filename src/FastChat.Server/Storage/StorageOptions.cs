namespace FastChat.Server.Storage;

/// <summary>What the store needs to know (Hosting maps it from the FastChat:* settings).</summary>
internal sealed record StorageOptions
{
    /// <summary>The store's own directory (the data directory's <c>store</c>).</summary>
    public required string Directory { get; init; }
    public int MemoryMegabytes { get; init; } = 256;
    public int IndexBuckets { get; init; } = KvIndex.DefaultBuckets;
    /// <summary>Group commit: the longest a durable acknowledgement waits for company.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(1);
    public long CompactionThresholdBytes { get; init; } = 1024L * 1024 * 1024;
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromSeconds(60);
}
