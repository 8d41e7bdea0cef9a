using System.Security.Cryptography;
using FastChat.Signal.Curve;
using FastChat.Signal.Messages.Wire;
using Google.Protobuf;

namespace FastChat.Signal.Messages;

/// <summary>
/// The v3 wire forms. A SignalMessage is a version byte (0x33: current and minimum version 3),
/// the WhisperMessage protobuf and the first 8 bytes of HMAC-SHA256(macKey, sender identity ‖
/// receiver identity ‖ version byte ‖ protobuf), identities in their 33-byte form. A
/// PreKeySignalMessage is the version byte and the PreKeyWhisperMessage protobuf around one.
/// </summary>
internal static class SignalMessageCodec
{
    public const byte Version = 3;
    public const byte VersionByte = (Version << 4) | Version;
    public const int MacLength = 8;

    public static byte[] EncodeSignalMessage(WhisperMessage message, ReadOnlySpan<byte> macKey, SignalPublicKey sender, SignalPublicKey receiver)
    {
        var proto = message.ToByteArray();
        var result = new byte[1 + proto.Length + MacLength];
        result[0] = VersionByte;
        proto.CopyTo(result, 1);
        Mac(macKey, sender, receiver, proto).AsSpan(0, MacLength).CopyTo(result.AsSpan(1 + proto.Length));
        return result;
    }

    /// <summary>The protobuf of a SignalMessage, its MAC still to be checked (<see cref="MacMatches"/>).</summary>
    public static (WhisperMessage Message, ReadOnlyMemory<byte> Proto, ReadOnlyMemory<byte> Mac) DecodeSignalMessage(ReadOnlyMemory<byte> body)
    {
        if (body.Length < 1 + MacLength) throw Invalid("a SignalMessage too short");
        CheckVersion(body.Span[0]);
        var proto = body[1..^MacLength];
        WhisperMessage message;
        try { message = WhisperMessage.Parser.ParseFrom(proto.Span); }
        catch (InvalidProtocolBufferException ex) { throw Invalid("a SignalMessage that is not protobuf: " + ex.Message); }
        if (!message.HasEphemeralKey || !message.HasCounter || !message.HasCiphertext) throw Invalid("a SignalMessage without its fields");
        return (message, proto, body[^MacLength..]);
    }

    public static bool MacMatches(ReadOnlySpan<byte> macKey, SignalPublicKey sender, SignalPublicKey receiver, ReadOnlySpan<byte> proto, ReadOnlySpan<byte> mac) =>
        CryptographicOperations.FixedTimeEquals(Mac(macKey, sender, receiver, proto).AsSpan(0, MacLength), mac);

    public static byte[] EncodePreKeyMessage(PreKeyWhisperMessage message)
    {
        var proto = message.ToByteArray();
        var result = new byte[1 + proto.Length];
        result[0] = VersionByte;
        proto.CopyTo(result, 1);
        return result;
    }

    public static PreKeyWhisperMessage DecodePreKeyMessage(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2) throw Invalid("a PreKeySignalMessage too short");
        CheckVersion(body[0]);
        PreKeyWhisperMessage message;
        try { message = PreKeyWhisperMessage.Parser.ParseFrom(body[1..]); }
        catch (InvalidProtocolBufferException ex) { throw Invalid("a PreKeySignalMessage that is not protobuf: " + ex.Message); }
        if (!message.HasBaseKey || !message.HasIdentityKey || !message.HasMessage || !message.HasSignedPreKeyId) throw Invalid("a PreKeySignalMessage without its fields");
        return message;
    }

    private static void CheckVersion(byte versions)
    {
        // High nibble: the sender's version; low: the lowest it accepts. Only 3 is spoken.
        if (versions >> 4 < Version || (versions & 0xF) > Version) throw Invalid($"unsupported version byte 0x{versions:x2}");
    }

    private static byte[] Mac(ReadOnlySpan<byte> macKey, SignalPublicKey sender, SignalPublicKey receiver, ReadOnlySpan<byte> proto)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        hmac.AppendData(sender.Serialized);
        hmac.AppendData(receiver.Serialized);
        hmac.AppendData([VersionByte]);
        hmac.AppendData(proto);
        return hmac.GetHashAndReset();
    }

    private static SignalProtocolException Invalid(string what) => new(SignalError.InvalidMessage, what);
}
