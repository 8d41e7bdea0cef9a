using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Storage;

namespace FastChat.Server.Delivery;

/// <summary>
/// The value of a queue item <c>Q|seq|user</c>. Not a per-recipient frame: the DELIVER frame (with
/// the item's seq) is built when the item is pushed, so the same entry bytes can serve many queues.
/// <list type="bullet">
/// <item><c>0x01 inline</c>: <c>tag | entry</c>, where entry is the DELIVER body without its seq
/// (<c>kind u8 | msg_id u64 | time_ms i64 | peer_len u8 | peer | payload</c>). One write per entry: 1:1 messages and receipts.</item>
/// <item><c>0x02 shared</c>: <c>tag | key</c>, a reference to an <c>S|…</c> record whose value is
/// <c>0x01 | entry</c>, stored once for every recipient on this node (group fan-out: a message to a
/// 1024-member group is one entry plus 1024 small references, not 1024 copies).</item>
/// <item><c>0x12</c> (the DELIVER frame type): a whole frame, as versions before this one stored
/// items; still read, so an existing data directory keeps working.</item>
/// </list>
/// </summary>
internal static class QueueItem
{
    public const byte Inline = 0x01;
    public const byte Shared = 0x02;
    private const byte LegacyFrame = (byte)FrameType.Deliver;

    /// <summary>Where the tag goes in a frame buffer so that <c>buffer[TagOffset..]</c> is tag + entry right behind header and seq.</summary>
    public const int TagOffset = ProtocolLimits.FrameHeaderLength + 8 - 1;

    private const int TimeOffsetInEntry = 1 + 8; // kind, msg_id

    /// <summary>
    /// Reads item <paramref name="sequence"/>'s entry into <paramref name="buffer"/> and completes
    /// it as a DELIVER frame in place; returns the frame length, or 0 when missing or unreadable.
    /// </summary>
    public static int ReadAsFrame(FasterStore store, ReadOnlySpan<byte> itemKey, ulong sequence, byte[] buffer)
    {
        var at = buffer.AsSpan(TagOffset);
        int n = store.Read(itemKey, at);
        if (n <= 1) return 0;
        switch (at[0])
        {
            case Inline:
                return Complete(buffer, sequence, n - 1);
            case Shared:
                Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
                int keyLength = n - 1;
                if (keyLength > key.Length) return 0;
                at.Slice(1, keyLength).CopyTo(key);
                n = store.Read(key[..keyLength], at);
                return n > 1 && at[0] == Inline ? Complete(buffer, sequence, n - 1) : 0;
            case LegacyFrame:
                at[..n].CopyTo(buffer); // rare: an item written before this format
                return n;
            default:
                return 0;
        }
    }

    /// <summary>The entry's time (Unix ms) from a stored item value, following a shared reference; null if unreadable.</summary>
    public static long? TimeOf(FasterStore store, byte[] value)
    {
        if (value.Length > 1 && value[0] == Shared)
        {
            var shared = store.Read(value.AsSpan(1));
            if (shared is null) return null;
            value = shared;
        }
        int offset = value.Length > 0 && value[0] == LegacyFrame ? ProtocolLimits.FrameHeaderLength + 8 + TimeOffsetInEntry : 1 + TimeOffsetInEntry;
        return value.Length >= offset + 8 ? BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(offset)) : null;
    }

    /// <summary>
    /// Writes a DELIVER frame (seq 0) into <paramref name="frame"/> and marks it inline; returns the
    /// item value, <c>frame[TagOffset..]</c>. The frame becomes sendable once its seq is written.
    /// </summary>
    public static Span<byte> WriteInline(Span<byte> frame, DeliveryKind kind, ulong messageId, long timeMs, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> payload)
    {
        int length = MessageFrames.WriteDeliver(frame, 0, kind, messageId, timeMs, peer, payload);
        frame[TagOffset] = Inline;
        return frame[TagOffset..length];
    }

    /// <summary>Sets the entry's time in a frame from <see cref="WriteInline"/>.</summary>
    public static void SetTime(Span<byte> frame, long timeMs) =>
        BinaryPrimitives.WriteInt64BigEndian(frame[(ProtocolLimits.FrameHeaderLength + 8 + TimeOffsetInEntry)..], timeMs);

    /// <summary>Makes a frame from <see cref="WriteInline"/> sendable (over the tag, once the value is stored).</summary>
    public static void SetSequence(Span<byte> frame, ulong sequence) =>
        BinaryPrimitives.WriteUInt64BigEndian(frame[ProtocolLimits.FrameHeaderLength..], sequence);

    /// <summary>A shared reference's value: the tag and the key of the <c>S|…</c> record.</summary>
    public static int WriteReference(Span<byte> destination, ReadOnlySpan<byte> sharedKey)
    {
        destination[0] = Shared;
        sharedKey.CopyTo(destination[1..]);
        return 1 + sharedKey.Length;
    }

    private static int Complete(byte[] buffer, ulong sequence, int entryLength)
    {
        int body = 8 + entryLength;
        FrameHeader.Write(buffer, FrameType.Deliver, body);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(ProtocolLimits.FrameHeaderLength), sequence);
        return ProtocolLimits.FrameHeaderLength + body;
    }
}
