namespace FastChat.Server.Delivery;

/// <summary>Queue limits and the delivery window (Hosting maps them from the FastChat:* settings).</summary>
internal sealed record DeliveryOptions
{
    /// <summary>Delivered-but-unacknowledged entries per connection.</summary>
    public int Window { get; init; } = 256;
    public int WindowBytes { get; init; } = 512 * 1024;
    /// <summary>Entries (messages and receipts) one user's queue may hold.</summary>
    public int Quota { get; init; } = 10000;
    /// <summary>Entries older than this are dropped, not delivered.</summary>
    public TimeSpan OfflineTtl { get; init; } = TimeSpan.FromDays(30);
}
