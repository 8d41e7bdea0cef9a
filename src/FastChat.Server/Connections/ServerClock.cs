namespace FastChat.Server.Connections;

/// <summary>
/// The connections' two clocks, both from the injected <see cref="TimeProvider"/> (tests pass a
/// fake one): monotonic milliseconds for timeouts and rates, Unix milliseconds for what the
/// protocol shows (server_time_ms).
/// </summary>
internal sealed class ServerClock(TimeProvider time)
{
    private readonly long _ticksPerMs = Math.Max(1, time.TimestampFrequency / 1000);

    public TimeProvider Time { get; } = time;

    /// <summary>Monotonic milliseconds (arbitrary origin).</summary>
    public long NowTicks => Time.GetTimestamp() / _ticksPerMs;

    public long UnixMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
