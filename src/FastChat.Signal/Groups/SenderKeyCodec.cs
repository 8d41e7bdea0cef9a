using FastChat.Signal.Curve;
using FastChat.Signal.Groups.Wire;
using FastChat.Signal.Messages;
using Google.Protobuf;

namespace FastChat.Signal.Groups;

/// <summary>
/// The wire forms of sender keys, as libsignal writes them: a SenderKeyDistributionMessage is the
/// version byte (0x33) and its protobuf; a SenderKeyMessage is the version byte, its protobuf and
/// a 64-byte XEdDSA signature over both by the sender's signing key. The distribution id is a UUID
/// in its 16 RFC 4122 (big-endian) bytes.
/// </summary>
internal static class SenderKeyCodec
{
    public const int SignatureLength = 64;

    public static byte[] EncodeDistribution(SenderKeyDistributionMessage message) => Versioned(message.ToByteArray());

    public static SenderKeyDistributionMessage DecodeDistribution(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2) throw Invalid("a SenderKeyDistributionMessage too short");
        CheckVersion(bytes[0]);
        SenderKeyDistributionMessage message;
        try { message = SenderKeyDistributionMessage.Parser.ParseFrom(bytes[1..]); }
        catch (InvalidProtocolBufferException ex) { throw Invalid("a SenderKeyDistributionMessage that is not protobuf: " + ex.Message); }
        if (!message.HasDistributionUuid || message.DistributionUuid.Length != 16 || !message.HasChainId || !message.HasIteration
            || !message.HasChainKey || message.ChainKey.Length != 32 || !message.HasSigningKey || !SignalPublicKey.TryParse(message.SigningKey.Span, out _))
            throw Invalid("a SenderKeyDistributionMessage without its fields");
        return message;
    }

    public static byte[] EncodeMessage(SenderKeyMessage message, SignalKeyPair signingKey)
    {
        var signed = Versioned(message.ToByteArray());
        var signature = signingKey.Sign(signed);
        return [.. signed, .. signature];
    }

    /// <summary>The message and the bytes its signature covers (checked by the caller against the chain's signing key).</summary>
    public static (SenderKeyMessage Message, ReadOnlyMemory<byte> Signed, ReadOnlyMemory<byte> Signature) DecodeMessage(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length < 1 + SignatureLength + 1) throw Invalid("a SenderKeyMessage too short");
        CheckVersion(bytes.Span[0]);
        var signed = bytes[..^SignatureLength];
        SenderKeyMessage message;
        try { message = SenderKeyMessage.Parser.ParseFrom(signed.Span[1..]); }
        catch (InvalidProtocolBufferException ex) { throw Invalid("a SenderKeyMessage that is not protobuf: " + ex.Message); }
        if (!message.HasDistributionUuid || message.DistributionUuid.Length != 16 || !message.HasChainId || !message.HasIteration || !message.HasCiphertext)
            throw Invalid("a SenderKeyMessage without its fields");
        return (message, signed, bytes[^SignatureLength..]);
    }

    public static ByteString Uuid(Guid id) => ByteString.CopyFrom(id.ToByteArray(bigEndian: true));

    public static Guid Uuid(ByteString bytes) => new(bytes.Span, bigEndian: true);

    private static byte[] Versioned(byte[] proto) => [SignalMessageCodec.VersionByte, .. proto];

    private static void CheckVersion(byte versions)
    {
        if (versions >> 4 != SignalMessageCodec.Version) throw Invalid($"unsupported sender key version byte 0x{versions:x2}");
    }

    private static SignalProtocolException Invalid(string message) => new(SignalError.InvalidMessage, message);
}
