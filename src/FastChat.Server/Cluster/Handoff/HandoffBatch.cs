using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Cluster.Peers;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>
/// HANDOFF_DATA frames: <c>epoch i64 | (key_len u8 | key | value_len u32 | value)*</c>, filled up
/// to one frame; built on the sending node, parsed on the receiving one.
/// </summary>
internal sealed class HandoffBatch(long epoch)
{
    private const int H = ProtocolLimits.FrameHeaderLength;
    private const int Limit = ProtocolLimits.MaxFrameBody;
    private readonly byte[] _buffer = new byte[H + Limit];
    private int _length = H + 8;

    public int Records { get; private set; }

    /// <summary>False when the record does not fit in this batch (take the frame, then add it to a new one).</summary>
    public bool TryAdd(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int size = 1 + key.Length + 4 + value.Length;
        if (_length - H + size > Limit) return false;
        _buffer[_length] = (byte)key.Length;
        key.CopyTo(_buffer.AsSpan(_length + 1));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length + 1 + key.Length), value.Length);
        value.CopyTo(_buffer.AsSpan(_length + 5 + key.Length));
        _length += size;
        Records++;
        return true;
    }

    /// <summary>The frame so far, and starts a new batch.</summary>
    public byte[] TakeFrame()
    {
        FrameHeader.Write(_buffer, (FrameType)PeerFrameType.HandoffData, _length - H);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(H), epoch);
        var frame = _buffer.AsSpan(0, _length).ToArray();
        _length = H + 8;
        Records = 0;
        return frame;
    }

    public delegate void RecordHandler(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    public static bool TryReadEpoch(ReadOnlySpan<byte> body, out long epoch)
    {
        epoch = body.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(body) : 0;
        return body.Length >= 8;
    }

    /// <summary>Parses a frame body's records; false when malformed (the session closes).</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, RecordHandler onRecord)
    {
        if (body.Length < 8) return false;
        var rest = body[8..];
        while (!rest.IsEmpty)
        {
            int keyLength = rest[0];
            if (keyLength == 0 || rest.Length < 1 + keyLength + 4) return false;
            var key = rest.Slice(1, keyLength);
            int valueLength = BinaryPrimitives.ReadInt32BigEndian(rest[(1 + keyLength)..]);
            if (valueLength < 0 || rest.Length < 5 + keyLength + valueLength) return false;
            onRecord(key, rest.Slice(5 + keyLength, valueLength));
            rest = rest[(5 + keyLength + valueLength)..];
        }
        return true;
    }
}
