namespace FastChat.Server.Connections;

/// <summary>
/// A connection's rates of typing, presence requests and media tickets: token buckets with
/// fractional refill (a few a second or a few a minute — too slow for <see cref="FrameRateLimiter"/>'s
/// whole tokens). Made on first use, so an idle connection holds one null reference.
/// </summary>
internal sealed class ClientLimits(long nowMs, Presence.PresenceOptions options, Media.MediaOptions media)
{
    private double _typing = options.TypingBurst;
    private double _requests = options.RequestBurst;
    private double _tickets = media.TicketBurst;
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

    public bool TryTakeTicket(long nowMs)
    {
        Refill(nowMs);
        return Take(ref _tickets);
    }

    private void Refill(long nowMs)
    {
        long elapsed = nowMs - _lastMs;
        if (elapsed <= 0) return;
        _lastMs = nowMs;
        _typing = Math.Min(options.TypingBurst, _typing + elapsed * options.TypingPerSecond / 1000.0);
        _requests = Math.Min(options.RequestBurst, _requests + elapsed * options.RequestsPerMinute / 60000.0);
        _tickets = Math.Min(media.TicketBurst, _tickets + elapsed * media.TicketsPerMinute / 60000.0);
    }

    private static bool Take(ref double tokens)
    {
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }
}
