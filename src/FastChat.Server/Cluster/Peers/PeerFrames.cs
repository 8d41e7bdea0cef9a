using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Cluster.Peers;

/// <summary>Frame types spoken on peer links only (protocol-spec/09-cluster.md); PING/PONG as on client links.</summary>
internal enum PeerFrameType : byte
{
    /// <summary>First frame each way: the sender's incarnation (fresh per process) and table epoch.</summary>
    Hello = 0x40,
    /// <summary>An entry for a user homed at the receiver.</summary>
    Forward = 0x41,
    /// <summary>Cumulative: every FORWARD token up to this one that was not refused is durable at its home.</summary>
    Ack = 0x42,
    /// <summary>One FORWARD refused (unknown recipient, queue full, stale epoch, not the home).</summary>
    Refused = 0x43,
    /// <summary>Hand-off: the sender starts copying the partitions moving from it to the receiver under an epoch.</summary>
    HandoffBegin = 0x44,
    /// <summary>Hand-off: a batch of store records (key, value) of those partitions.</summary>
    HandoffData = 0x45,
    /// <summary>Hand-off: the copy is complete; carries the record count.</summary>
    HandoffEnd = 0x46,
    /// <summary>Hand-off: the receiver has the records durably (its count), or is not ready (count all ones).</summary>
    HandoffDone = 0x47,
    /// <summary>After a stale-epoch refusal: the sender took back every later FORWARD; the receiver accepts again.</summary>
    Resync = 0x48,
    /// <summary>Replication: a batch of the primary's store writes to partitions the receiver keeps the copy of.</summary>
    Replicate = 0x49,
    /// <summary>Replication: every REPLICATE record up to this sequence number is durable at the replica.</summary>
    ReplicateAck = 0x4A,
    /// <summary>Prekeys: take the bundles of a user homed at the receiver (request id, user).</summary>
    PrekeyRequest = 0x4B,
    /// <summary>Prekeys: the answer (request id, then a PREKEY_BUNDLES body as clients get it).</summary>
    PrekeyAnswer = 0x4C,
}

/// <summary>Why a home node refused a FORWARD (a <see cref="Routing.RouteResult"/> on the wire, plus the epoch cases).</summary>
internal enum PeerRefusal : byte
{
    UnknownRecipient = 1,
    QueueFull = 2,
    /// <summary>The sender's epoch is not the receiver's: one of them has not seen the latest table yet.</summary>
    StaleEpoch = 3,
    Unavailable = 4,
    StaleDevices = 5,
}

/// <summary>Encoders and parsers for <see cref="PeerFrameType"/> frames (big-endian, like client frames).</summary>
internal static class PeerFrames
{
    private const int H = ProtocolLimits.FrameHeaderLength;
    public const int HelloLength = H + 16;
    public const int AckLength = H + 8;
    public const int RefusedLength = H + 17;
    private const int ForwardFixed = 8 + 8 + 1 + 8 + 1 + 1; // epoch, token, kind, msg id, to_len, from_len

    public static int ForwardLength(int to, int from, int payload) => H + ForwardFixed + to + from + payload;

    // HELLO is a pair of u64 like the hand-off frames: the same bytes, its own meaning.
    public static byte[] Hello(ulong incarnation, long epoch) => U64Pair(PeerFrameType.Hello, (long)incarnation, (ulong)epoch);

    public static bool TryParseHello(ReadOnlySpan<byte> body, out ulong incarnation, out long epoch)
    {
        bool ok = TryParseU64Pair(body, out long first, out ulong second);
        (incarnation, epoch) = ((ulong)first, (long)second);
        return ok;
    }

    public static int WriteForward(Span<byte> destination, long epoch, ulong token, DeliveryKind kind, ulong messageId,
        ReadOnlySpan<byte> to, ReadOnlySpan<byte> from, ReadOnlySpan<byte> payload)
    {
        int body = ForwardFixed + to.Length + from.Length + payload.Length;
        FrameHeader.Write(destination, (FrameType)PeerFrameType.Forward, body);
        var b = destination.Slice(H, body);
        BinaryPrimitives.WriteInt64BigEndian(b, epoch);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], token);
        b[16] = (byte)kind;
        BinaryPrimitives.WriteUInt64BigEndian(b[17..], messageId);
        b[25] = (byte)to.Length;
        to.CopyTo(b[26..]);
        int at = 26 + to.Length;
        b[at++] = (byte)from.Length;
        from.CopyTo(b[at..]);
        payload.CopyTo(b[(at + from.Length)..]);
        return H + body;
    }

    public static bool TryParseForward(ReadOnlySpan<byte> b, out long epoch, out ulong token, out DeliveryKind kind, out ulong messageId,
        out ReadOnlySpan<byte> to, out ReadOnlySpan<byte> from, out ReadOnlySpan<byte> payload)
    {
        epoch = 0; token = 0; kind = 0; messageId = 0; to = default; from = default; payload = default;
        if (b.Length < ForwardFixed) return false;
        epoch = BinaryPrimitives.ReadInt64BigEndian(b);
        token = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        kind = (DeliveryKind)b[16];
        messageId = BinaryPrimitives.ReadUInt64BigEndian(b[17..]);
        int toLength = b[25];
        if (b.Length < ForwardFixed + toLength) return false;
        to = b.Slice(26, toLength);
        int at = 26 + toLength;
        int fromLength = b[at++];
        if (b.Length < at + fromLength) return false;
        from = b.Slice(at, fromLength);
        payload = b[(at + fromLength)..];
        return kind is >= DeliveryKind.Message and <= DeliveryKind.Typing
            && (DeviceAddress.TryParse(to, out _, out _) || (kind is DeliveryKind.GroupMessage or DeliveryKind.Typing && GroupAddress.IsGroup(to)))
            && DeviceAddress.TryParse(from, out _, out _) && payload.Length <= ProtocolLimits.MaxPayload;
    }

    /// <summary>The token of a FORWARD frame this node built (header included).</summary>
    public static ulong TokenOf(byte[] forwardFrame) => BinaryPrimitives.ReadUInt64BigEndian(forwardFrame.AsSpan(H + 8));

    /// <summary>Frames whose body is one big-endian u64 (epoch) and optionally a second (count, token).</summary>
    public static byte[] U64Pair(PeerFrameType type, long first, ulong second)
    {
        var frame = new byte[H + 16];
        FrameHeader.Write(frame, (FrameType)type, 16);
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(H), first);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(H + 8), second);
        return frame;
    }

    public static bool TryParseU64Pair(ReadOnlySpan<byte> body, out long first, out ulong second)
    {
        first = 0;
        second = 0;
        if (body.Length != 16) return false;
        first = BinaryPrimitives.ReadInt64BigEndian(body);
        second = BinaryPrimitives.ReadUInt64BigEndian(body[8..]);
        return true;
    }

    /// <summary>PREKEY_REQUEST: request id u64, then the user's name.</summary>
    public static byte[] PrekeyRequest(ulong requestId, ReadOnlySpan<byte> user)
    {
        var frame = new byte[H + 8 + user.Length];
        FrameHeader.Write(frame, (FrameType)PeerFrameType.PrekeyRequest, 8 + user.Length);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(H), requestId);
        user.CopyTo(frame.AsSpan(H + 8));
        return frame;
    }

    public static bool TryParsePrekeyRequest(ReadOnlySpan<byte> body, out ulong requestId, out string user)
    {
        requestId = 0;
        user = "";
        if (body.Length < 8 || !UserName.IsValid(body[8..])) return false;
        requestId = BinaryPrimitives.ReadUInt64BigEndian(body);
        user = System.Text.Encoding.ASCII.GetString(body[8..]);
        return true;
    }

    /// <summary>PREKEY_ANSWER: the PREKEY_BUNDLES body, its request id being the peer request's.</summary>
    public static byte[] PrekeyAnswer(PrekeyBundlesBody answer)
    {
        var body = ControlFrames.EncodeBody(answer.Write);
        var frame = new byte[H + body.Length];
        FrameHeader.Write(frame, (FrameType)PeerFrameType.PrekeyAnswer, body.Length);
        body.CopyTo(frame.AsSpan(H));
        return frame;
    }

    public static void WriteAck(Span<byte> destination, ulong upTo)
    {
        FrameHeader.Write(destination, (FrameType)PeerFrameType.Ack, 8);
        BinaryPrimitives.WriteUInt64BigEndian(destination[H..], upTo);
    }

    public static void WriteRefused(Span<byte> destination, ulong token, PeerRefusal reason, long epoch)
    {
        FrameHeader.Write(destination, (FrameType)PeerFrameType.Refused, 17);
        BinaryPrimitives.WriteUInt64BigEndian(destination[H..], token);
        destination[H + 8] = (byte)reason;
        BinaryPrimitives.WriteInt64BigEndian(destination[(H + 9)..], epoch);
    }

    public static bool TryParseRefused(ReadOnlySpan<byte> b, out ulong token, out PeerRefusal reason, out long epoch)
    {
        token = 0; reason = 0; epoch = 0;
        if (b.Length != 17) return false;
        token = BinaryPrimitives.ReadUInt64BigEndian(b);
        reason = (PeerRefusal)b[8];
        epoch = BinaryPrimitives.ReadInt64BigEndian(b[9..]);
        return true;
    }
}
