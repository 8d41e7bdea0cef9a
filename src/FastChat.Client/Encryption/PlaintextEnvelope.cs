using System.Buffers.Binary;

namespace FastChat.Client.Encryption;

public enum EnvelopeKind : byte
{
    /// <summary>A chat message: the body is UTF-8 text.</summary>
    Text = 1,
    /// <summary>
    /// A copy of a text this account sent from another of its devices, so all its devices show the
    /// conversation: the body is the recipient's length u8 | recipient (ASCII) | the UTF-8 text.
    /// Only accepted from the account's own devices.
    /// </summary>
    SentCopy = 2,
    /// <summary>
    /// This device's sender key for a group (protocol-spec/14-groups.md): the body is a
    /// SenderKeyDistributionMessage, sent over the pairwise sessions to every member device.
    /// </summary>
    SenderKey = 3,
    /// <summary>A file (protocol-spec/16-media.md): the body is a <see cref="Media.MediaPointer"/>.</summary>
    Media = 4,
}

/// <summary>
/// What is inside a FastChat E2E message, before encryption (11-end-to-end.md): version 1 |
/// kind u8 | sent ms i64 (big-endian, the sender's clock) | body, then Signal's padding — 0x80 and
/// zeros up to a multiple of 160 bytes — so the ciphertext's length says little about the text's.
/// </summary>
public sealed record PlaintextEnvelope(EnvelopeKind Kind, long SentMs, byte[] Body)
{
    public const byte Version = 1;
    public const int PaddingBlock = 160;
    private const int HeaderLength = 1 + 1 + 8;

    public byte[] Encode()
    {
        int length = HeaderLength + Body.Length + 1;
        var bytes = new byte[(length + PaddingBlock - 1) / PaddingBlock * PaddingBlock];
        bytes[0] = Version;
        bytes[1] = (byte)Kind;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(2), SentMs);
        Body.CopyTo(bytes, HeaderLength);
        bytes[HeaderLength + Body.Length] = 0x80;
        return bytes;
    }

    public static bool TryDecode(ReadOnlySpan<byte> padded, out PlaintextEnvelope envelope)
    {
        envelope = null!;
        int end = padded.LastIndexOfAnyExcept((byte)0);
        if (end < HeaderLength || padded[end] != 0x80 || padded[0] != Version) return false;
        envelope = new PlaintextEnvelope((EnvelopeKind)padded[1], BinaryPrimitives.ReadInt64BigEndian(padded[2..]), padded[HeaderLength..end].ToArray());
        return true;
    }
}
