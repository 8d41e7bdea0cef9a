using FastChat.Signal.Messages;

namespace FastChat.Client.Encryption;

/// <summary>
/// What a SEND carries when it is end-to-end encrypted (11-end-to-end.md): <c>0xE2</c>, the
/// libsignal message type (1 SignalMessage, 3 PreKeySignalMessage), then that message's bytes.
/// <c>0xE2</c> followed by a byte below 0x80 is never UTF-8 text, so a receiver tells an encrypted
/// payload from a plaintext one of an older client.
/// </summary>
public static class E2ePayload
{
    public const byte Marker = 0xE2;

    public static byte[] Wrap(CiphertextMessage message)
    {
        var payload = new byte[2 + message.Body.Length];
        payload[0] = Marker;
        payload[1] = (byte)message.Type;
        message.Body.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>A GROUP_SEND's payload: <c>0xE2</c>, 7, the SenderKeyMessage.</summary>
    public static byte[] WrapGroup(ReadOnlySpan<byte> senderKeyMessage) => [Marker, (byte)CiphertextType.SenderKey, .. senderKeyMessage];

    public static bool TryUnwrapGroup(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> senderKeyMessage)
    {
        senderKeyMessage = payload.Length > 2 && payload[0] == Marker && payload[1] == (byte)CiphertextType.SenderKey ? payload[2..] : default;
        return !senderKeyMessage.IsEmpty;
    }

    public static bool TryUnwrap(ReadOnlySpan<byte> payload, out CiphertextType type, out ReadOnlySpan<byte> body)
    {
        type = default;
        body = default;
        if (payload.Length < 3 || payload[0] != Marker || payload[1] is not ((byte)CiphertextType.Whisper or (byte)CiphertextType.PreKey)) return false;
        type = (CiphertextType)payload[1];
        body = payload[2..];
        return true;
    }
}
