using System.Buffers.Binary;
using FastChat.Protocol.Wire;

namespace FastChat.Protocol.Frames;

/// <summary>One frame inside a decrypted record: header fields and a view of the body.</summary>
public readonly ref struct Frame(byte type, byte flags, ReadOnlySpan<byte> body)
{
    public byte Type { get; } = type;
    public byte Flags { get; } = flags;
    public ReadOnlySpan<byte> Body { get; } = body;
}

/// <summary>
/// Walks the frames of one record plaintext without copying: <c>type u8 | flags u8 | length u16be | body</c>.
/// A frame never spans records, so a short tail is a protocol error, not "need more data".
/// </summary>
public ref struct FrameReader(ReadOnlySpan<byte> record)
{
    private ReadOnlySpan<byte> _remaining = record;

    public readonly bool End => _remaining.IsEmpty;

    /// <summary>The frames not read yet.</summary>
    public readonly ReadOnlySpan<byte> Remaining => _remaining;

    /// <summary>False at the end or when the rest is malformed (<paramref name="malformed"/> then true).</summary>
    public bool TryRead(out Frame frame, out bool malformed)
    {
        frame = default;
        malformed = false;
        if (_remaining.IsEmpty) return false;
        if (_remaining.Length < ProtocolLimits.FrameHeaderLength)
        {
            malformed = true;
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(_remaining[2..]);
        if (_remaining.Length < ProtocolLimits.FrameHeaderLength + length)
        {
            malformed = true;
            return false;
        }
        frame = new Frame(_remaining[0], _remaining[1], _remaining.Slice(ProtocolLimits.FrameHeaderLength, length));
        _remaining = _remaining[(ProtocolLimits.FrameHeaderLength + length)..];
        return true;
    }
}

public static class FrameHeader
{
    /// <summary>
    /// How many leading bytes of <paramref name="frames"/> (whole frames back to back) go into one
    /// record: as many whole frames as fit in a record's plaintext. Frames never span records.
    /// </summary>
    public static int RecordCut(ReadOnlySpan<byte> frames)
    {
        int length = 0;
        while (length < frames.Length)
        {
            int frame = ProtocolLimits.FrameHeaderLength + BinaryPrimitives.ReadUInt16BigEndian(frames[(length + 2)..]);
            if (length + frame > ProtocolLimits.MaxRecordPlaintext) break;
            length += frame;
        }
        return length;
    }

    /// <summary>Writes a frame header; returns its length (4).</summary>
    public static int Write(Span<byte> destination, FrameType type, int bodyLength)
    {
        if ((uint)bodyLength > ProtocolLimits.MaxFrameBody) throw new ArgumentOutOfRangeException(nameof(bodyLength));
        destination[0] = (byte)type;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)bodyLength);
        return ProtocolLimits.FrameHeaderLength;
    }
}
