namespace FastChat.Server.Connections;

/// <summary>
/// A connection's presence and typing rates: two token buckets with fractional refill (typing is
/// a few a second, requests a few a minute — too slow for <see cref="FrameRateLimiter"/>'s whole
/// tokens). Made on the first TYPING or presence request, so an idle connection holds one null reference.
/// </summary>
internal sealed class PresenceLimits(long nowMs, Presence.PresenceOptions options)
{
    private double _typing = options.TypingBurst;
    private double _requests = options.RequestBurst;
    private long _lastMs = nowMs;

    public bool TryTakeTyping(long nowMs)
    {
        Refill(nowMs);
        return Take(ref _typing);
    }

    public bool TryTakeRequest(long nowMs)
    {
        Refill(nowMs);
        return Take(ref _requests);
    }

    private void Refill(long nowMs)
    {
        long elapsed = nowMs - _lastMs;
        if (elapsed <= 0) return;
        _lastMs = nowMs;
        _typing = Math.Min(options.TypingBurst, _typing + elapsed * options.TypingPerSecond / 1000.0);
        _requests = Math.Min(options.RequestBurst, _requests + elapsed * options.RequestsPerMinute / 60000.0);
    }

    private static bool Take(ref double tokens)
    {
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }
}
