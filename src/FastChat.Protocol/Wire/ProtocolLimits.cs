using FastChat.Protocol.Noise;

namespace FastChat.Protocol.Wire;

/// <summary>Hard protocol limits every implementation enforces (protocol-spec/07-limits-and-timeouts.md).</summary>
public static class ProtocolLimits
{
    public const int MaxRecordPlaintext = NoiseConstants.MaxPlaintextLength; // 65519
    public const int FrameHeaderLength = 4;
    public const int MaxFrameBody = MaxRecordPlaintext - FrameHeaderLength;  // 65515
    public const int MaxPayload = 64000;
    public const int MaxHandshakePayload = 1024;
    /// <summary>One-time prekeys one PREKEY_UPLOAD may carry (a server may accept fewer).</summary>
    public const int MaxPrekeysPerFrame = 1000;
    /// <summary>Devices one account may have, so bundles one PREKEY_BUNDLES may carry (a server may allow fewer).</summary>
    public const int MaxDevicesPerUser = 16;
    /// <summary>Members one group may have, so names one GROUP_CHANGE or GROUP_STATE may carry (a server may allow fewer).</summary>
    public const int MaxGroupMembers = 1024;
    /// <summary>A group's name, UTF-8 bytes.</summary>
    public const int MaxGroupNameBytes = 64;

    private const int SealedKey = NoiseConstants.DhLength + NoiseConstants.TagLength;

    /// <summary>Message 1 (<c>-> e</c>): the ephemeral key and a plaintext payload.</summary>
    public const int MaxHandshakeMessage1 = NoiseConstants.DhLength + MaxHandshakePayload;                                   // 1056
    /// <summary>Message 2 (<c>&lt;- e, ee, s, es</c>): ephemeral, sealed static, sealed payload.</summary>
    public const int MaxHandshakeMessage2 = NoiseConstants.DhLength + SealedKey + MaxHandshakePayload + NoiseConstants.TagLength; // 1120
    /// <summary>Message 3 (<c>-> s, se</c>): sealed static, sealed payload.</summary>
    public const int MaxHandshakeMessage3 = SealedKey + MaxHandshakePayload + NoiseConstants.TagLength;                     // 1088

    /// <summary>The largest handshake message with this index (0, 1, 2).</summary>
    public static int MaxHandshakeMessage(int index) => index switch
    {
        0 => MaxHandshakeMessage1,
        1 => MaxHandshakeMessage2,
        _ => MaxHandshakeMessage3,
    };
}
