using FastChat.Protocol.Wire;

namespace FastChat.Server.Connections;

/// <summary>Per-connection limits and timeouts (Hosting maps them from the FastChat:* settings).</summary>
internal sealed record ConnectionOptions
{
    public string ServerName { get; init; } = "fastchat";
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>After this long without input the server sends PING.</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>After this long without input the connection is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>Plaintext bytes waiting to be written before the connection is closed as a slow reader.</summary>
    public int MaxOutboundBytes { get; init; } = 1024 * 1024;
    public int MaxPayloadBytes { get; init; } = ProtocolLimits.MaxPayload;
    /// <summary>Frames a client may send per second (token bucket) and the burst above it.</summary>
    public int MaxFramesPerSecond { get; init; } = 20000;
    public int FrameBurst { get; init; } = 40000;
    /// <summary>Development only: register any free name without a code.</summary>
    public bool OpenRegistration { get; init; }
    public int RegistrationAttempts { get; init; } = 5;
}
