using FastChat.Protocol.Noise;

namespace FastChat.Protocol.Wire;

/// <summary>Hard protocol limits every implementation enforces (protocol-spec/limits.md).</summary>
public static class ProtocolLimits
{
    public const int MaxRecordPlaintext = NoiseConstants.MaxPlaintextLength; // 65519
    public const int FrameHeaderLength = 4;
    public const int MaxFrameBody = MaxRecordPlaintext - FrameHeaderLength;  // 65515
    public const int MaxPayload = 64000;
    public const int MaxHandshakePayload = 1024;
}
