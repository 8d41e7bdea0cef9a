namespace FastChat.Server.Connections;

/// <summary>
/// A token bucket of frames: <c>perSecond</c> tokens a second up to <c>burst</c>, one per frame.
/// Inline in the connection (16 bytes, no object); refilled once per record on the caller's clock.
/// </summary>
internal struct FrameRateLimiter
{
    private long _tokens;
    private long _lastTicks;

    public FrameRateLimiter(long nowTicks, int burst)
    {
        _tokens = burst;
        _lastTicks = nowTicks;
    }

    /// <summary>Adds what the time since the last refill earned (<paramref name="nowTicks"/> in milliseconds).</summary>
    public void Refill(long nowTicks, int perSecond, int burst)
    {
        long elapsed = nowTicks - _lastTicks;
        if (elapsed <= 0) return;
        _lastTicks = nowTicks;
        _tokens = Math.Min(burst, _tokens + elapsed * perSecond / 1000);
    }

    /// <summary>Takes one frame's token; false when the bucket is empty.</summary>
    public bool TryTake() => --_tokens >= 0;
}
