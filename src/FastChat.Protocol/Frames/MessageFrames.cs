using System.Buffers.Binary;
using FastChat.Protocol.Wire;

namespace FastChat.Protocol.Frames;

/// <summary>The kinds of entry a DELIVER frame carries.</summary>
public enum DeliveryKind : byte
{
    Message = 1,
    DeliveredReceipt = 2,
    ReadReceipt = 3,
    /// <summary>Between nodes only (FORWARD), never in a DELIVER: a SEND_DEVICES copies section for the recipient's home to split.</summary>
    DeviceCopies = 4,
    /// <summary>A group's membership changed (protocol-spec/14-groups.md): the payload is a GroupEvent, the peer the member who changed it.</summary>
    GroupChange = 5,
    /// <summary>A group message (protocol-spec/14-groups.md): the payload is the group id (16 bytes) and the sender's ciphertext, the peer the sending device.</summary>
    GroupMessage = 6,
    /// <summary>Between nodes only (protocol-spec/15-presence.md): the peer (a device) watches the recipient account's presence.</summary>
    PresenceSubscribe = 7,
    /// <summary>Between nodes only: the peer (a device) no longer watches the recipient's presence.</summary>
    PresenceUnsubscribe = 8,
    /// <summary>Between nodes only: a PRESENCE body from the subject's home (the peer) for the recipient device's live connection.</summary>
    PresenceUpdate = 9,
    /// <summary>Between nodes only: a typing indicator (payload: state u8, then the context) for the recipient's live devices; never stored.</summary>
    Typing = 10,
}

/// <summary>
/// Hand-laid hot-path frames (all integers big-endian). Writers return the total frame length
/// including the 4-byte header; parsers return false on any malformed body.
/// </summary>
public static class MessageFrames
{
    private const int H = ProtocolLimits.FrameHeaderLength;

    // SEND: msgId u64 | toLen u8 | to | payload
    public static int SendLength(int toLength, int payloadLength) => H + 8 + 1 + toLength + payloadLength;

    public static int WriteSend(Span<byte> destination, ulong messageId, ReadOnlySpan<byte> to, ReadOnlySpan<byte> payload)
    {
        int body = 8 + 1 + to.Length + payload.Length;
        FrameHeader.Write(destination, FrameType.Send, body);
        var b = destination.Slice(H, body);
        BinaryPrimitives.WriteUInt64BigEndian(b, messageId);
        b[8] = checked((byte)to.Length);
        to.CopyTo(b[9..]);
        payload.CopyTo(b[(9 + to.Length)..]);
        return H + body;
    }

    public static bool TryParseSend(ReadOnlySpan<byte> body, out ulong messageId, out ReadOnlySpan<byte> to, out ReadOnlySpan<byte> payload)
    {
        messageId = 0; to = default; payload = default;
        if (body.Length < 9) return false;
        messageId = BinaryPrimitives.ReadUInt64BigEndian(body);
        int toLength = body[8];
        if (body.Length < 9 + toLength) return false;
        to = body.Slice(9, toLength);
        payload = body[(9 + toLength)..];
        return true;
    }

    // SERVER_ACK and DELIVERY_ACK: u64; PING and PONG: 8 opaque bytes, carried as u64.
    public const int U64FrameLength = H + 8;

    public static int WriteU64(Span<byte> destination, FrameType type, ulong value)
    {
        FrameHeader.Write(destination, type, 8);
        BinaryPrimitives.WriteUInt64BigEndian(destination[H..], value);
        return U64FrameLength;
    }

    public static bool TryParseU64(ReadOnlySpan<byte> body, out ulong value)
    {
        value = 0;
        if (body.Length != 8) return false;
        value = BinaryPrimitives.ReadUInt64BigEndian(body);
        return true;
    }

    // DELIVER: seq u64 | kind u8 | msgId u64 | timeMs i64 | peerLen u8 | peer | payload
    public const int DeliverFixedLength = 8 + 1 + 8 + 8 + 1;

    public static int DeliverLength(int peerLength, int payloadLength) => H + DeliverFixedLength + peerLength + payloadLength;

    public static int WriteDeliver(Span<byte> destination, ulong sequence, DeliveryKind kind, ulong messageId, long timeMs,
        ReadOnlySpan<byte> peer, ReadOnlySpan<byte> payload)
    {
        int body = DeliverFixedLength + peer.Length + payload.Length;
        FrameHeader.Write(destination, FrameType.Deliver, body);
        var b = destination.Slice(H, body);
        BinaryPrimitives.WriteUInt64BigEndian(b, sequence);
        b[8] = (byte)kind;
        BinaryPrimitives.WriteUInt64BigEndian(b[9..], messageId);
        BinaryPrimitives.WriteInt64BigEndian(b[17..], timeMs);
        b[25] = checked((byte)peer.Length);
        peer.CopyTo(b[26..]);
        payload.CopyTo(b[(26 + peer.Length)..]);
        return H + body;
    }

    public static bool TryParseDeliver(ReadOnlySpan<byte> body, out DeliverView view)
    {
        view = default;
        if (body.Length < DeliverFixedLength) return false;
        int peerLength = body[25];
        if (body.Length < DeliverFixedLength + peerLength) return false;
        byte kind = body[8];
        if (kind is not ((byte)DeliveryKind.Message or (byte)DeliveryKind.DeliveredReceipt or (byte)DeliveryKind.ReadReceipt or (byte)DeliveryKind.GroupChange or (byte)DeliveryKind.GroupMessage)) return false;
        view = new DeliverView(
            BinaryPrimitives.ReadUInt64BigEndian(body),
            (DeliveryKind)kind,
            BinaryPrimitives.ReadUInt64BigEndian(body[9..]),
            BinaryPrimitives.ReadInt64BigEndian(body[17..]),
            body.Slice(26, peerLength),
            body[(26 + peerLength)..]);
        return true;
    }

    // READ: msgId u64 | peerLen u8 | peer | refMsgId u64
    /// <param name="groupLength">16 for a read receipt about a group message (the group id follows), else 0.</param>
    public static int ReadLength(int peerLength, int groupLength = 0) => H + 8 + 1 + peerLength + 8 + groupLength;

    /// <summary>READ: <c>msg_id u64 | peer_len u8 | peer | read_msg_id u64 [| group_id 16]</c> — the group id when what was read is a group message.</summary>
    public static int WriteRead(Span<byte> destination, ulong messageId, ReadOnlySpan<byte> peer, ulong readMessageId, ReadOnlySpan<byte> group = default)
    {
        int body = 8 + 1 + peer.Length + 8 + group.Length;
        FrameHeader.Write(destination, FrameType.Read, body);
        var b = destination.Slice(H, body);
        BinaryPrimitives.WriteUInt64BigEndian(b, messageId);
        b[8] = checked((byte)peer.Length);
        peer.CopyTo(b[9..]);
        BinaryPrimitives.WriteUInt64BigEndian(b[(9 + peer.Length)..], readMessageId);
        group.CopyTo(b[(17 + peer.Length)..]);
        return H + body;
    }

    public static bool TryParseRead(ReadOnlySpan<byte> body, out ulong messageId, out ReadOnlySpan<byte> peer, out ulong readMessageId, out ReadOnlySpan<byte> group)
    {
        messageId = 0; peer = default; readMessageId = 0; group = default;
        if (body.Length < 9) return false;
        int peerLength = body[8];
        int fixedLength = 9 + peerLength + 8;
        if (body.Length != fixedLength && body.Length != fixedLength + GroupAddress.IdLength) return false;
        messageId = BinaryPrimitives.ReadUInt64BigEndian(body);
        peer = body.Slice(9, peerLength);
        readMessageId = BinaryPrimitives.ReadUInt64BigEndian(body[(9 + peerLength)..]);
        group = body[fixedLength..];
        return true;
    }
}

public readonly ref struct DeliverView(ulong sequence, DeliveryKind kind, ulong messageId, long timeMs, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> payload)
{
    public ulong Sequence { get; } = sequence;
    public DeliveryKind Kind { get; } = kind;
    public ulong MessageId { get; } = messageId;
    public long TimeMs { get; } = timeMs;
    public ReadOnlySpan<byte> Peer { get; } = peer;
    public ReadOnlySpan<byte> Payload { get; } = payload;
}
