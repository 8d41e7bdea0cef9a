namespace FastChat.Server.Telemetry;

/// <summary>Rates for log lines about copies (hand-offs, replica syncs).</summary>
internal static class Throughput
{
    /// <summary>10^6 bytes per second; a copy under a millisecond counts as one.</summary>
    public static double MegabytesPerSecond(long bytes, TimeSpan elapsed) => bytes / 1e6 / Math.Max(elapsed.TotalSeconds, 1e-3);
}
