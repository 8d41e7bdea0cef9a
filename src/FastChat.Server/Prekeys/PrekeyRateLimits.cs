using System.Threading.RateLimiting;

namespace FastChat.Server.Prekeys;

/// <summary>
/// Token buckets per user for bundle fetches (as the requester: draining someone's one-time
/// prekeys is a known attack) and uploads (each rewrites the device's record). Kept where the
/// user's connection is, which is their home: in memory, so a restart starts them full.
/// </summary>
internal sealed class PrekeyRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _fetches;
    private readonly PartitionedRateLimiter<string> _uploads;

    public PrekeyRateLimits(PrekeyOptions options)
    {
        _fetches = PerUser(options.FetchBurst, options.FetchesPerMinute);
        _uploads = PerUser(options.UploadBurst, options.UploadsPerMinute);
    }

    /// <summary>Takes a fetch token for <paramref name="requester"/>; false with how long to wait when there is none.</summary>
    public bool TryFetch(string requester, out TimeSpan retryAfter) => TryTake(_fetches, requester, out retryAfter);

    public bool TryUpload(string user, out TimeSpan retryAfter) => TryTake(_uploads, user, out retryAfter);

    private static bool TryTake(PartitionedRateLimiter<string> limiter, string user, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(user);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    // Idle, full buckets are dropped by the limiter itself, so memory follows the active users.
    private static PartitionedRateLimiter<string> PerUser(int burst, int perMinute) =>
        PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(60_000.0 / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal);

    public void Dispose()
    {
        _fetches.Dispose();
        _uploads.Dispose();
    }
}
