using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Cluster.Peers;

namespace FastChat.Server.Cluster.Replication;

/// <summary>What one REPLICATE record does at the replica.</summary>
internal enum ReplicaOp : byte
{
    Upsert = 1,
    Delete = 2,
    /// <summary>Drop every record of the partitions listed in the value (u16 each): a snapshot of them follows.</summary>
    Clear = 3,
}

/// <summary>
/// REPLICATE frames (protocol-spec/09-cluster.md): <c>incarnation u64 | epoch i64 | first_seq u64 | (op u8 |
/// key_len u8 | key | value_len u32 | value)*</c>; record i has sequence number first_seq + i. Filled in place
/// by the stream that owns it, then taken as one frame.
/// </summary>
internal sealed class ReplicateFrame(ulong incarnation)
{
    private const int H = ProtocolLimits.FrameHeaderLength;
    private const int Fixed = 24;
    private readonly byte[] _buffer = new byte[H + ProtocolLimits.MaxFrameBody];
    private int _length = H + Fixed;

    public int Records { get; private set; }
    public ulong FirstSeq { get; private set; }

    public static int SizeOf(int key, int value) => 1 + 1 + key + 4 + value;

    public bool Fits(int key, int value) => _length - H + SizeOf(key, value) <= ProtocolLimits.MaxFrameBody;

    /// <summary>Adds a record with sequence number <paramref name="seq"/>; the caller checked <see cref="Fits"/>.</summary>
    public void Add(ulong seq, ReplicaOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (Records == 0) FirstSeq = seq;
        var at = _buffer.AsSpan(_length);
        at[0] = (byte)op;
        at[1] = (byte)key.Length;
        key.CopyTo(at[2..]);
        BinaryPrimitives.WriteInt32BigEndian(at[(2 + key.Length)..], value.Length);
        value.CopyTo(at[(6 + key.Length)..]);
        _length += SizeOf(key.Length, value.Length);
        Records++;
    }

    /// <summary>
    /// The frame so far (null when empty), and starts a new one. <paramref name="epoch"/>: the
    /// primary's table epoch now, at least that of every write in the frame.
    /// </summary>
    public byte[]? Take(long epoch)
    {
        if (Records == 0) return null;
        FrameHeader.Write(_buffer, (FrameType)PeerFrameType.Replicate, _length - H);
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(H), incarnation);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(H + 8), epoch);
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(H + 16), FirstSeq);
        var frame = _buffer.AsSpan(0, _length).ToArray();
        _length = H + Fixed;
        Records = 0;
        return frame;
    }

    /// <summary>Drops what the open frame holds.</summary>
    public void Reset()
    {
        _length = H + Fixed;
        Records = 0;
    }

    public delegate bool RecordHandler(ulong seq, ReplicaOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>
    /// Hands each record to <paramref name="onRecord"/> in order until it returns false. False when
    /// the body is malformed (the session closes).
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> body, out ulong incarnation, out long epoch)
    {
        bool ok = body.Length >= Fixed;
        incarnation = ok ? BinaryPrimitives.ReadUInt64BigEndian(body) : 0;
        epoch = ok ? BinaryPrimitives.ReadInt64BigEndian(body[8..]) : 0;
        return ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, RecordHandler onRecord)
    {
        if (body.Length < Fixed) return false;
        ulong seq = BinaryPrimitives.ReadUInt64BigEndian(body[16..]);
        var rest = body[Fixed..];
        bool going = true;
        while (!rest.IsEmpty)
        {
            if (rest.Length < 6 || rest[0] is < (byte)ReplicaOp.Upsert or > (byte)ReplicaOp.Clear) return false;
            int keyLength = rest[1];
            if (rest.Length < 6 + keyLength) return false;
            int valueLength = BinaryPrimitives.ReadInt32BigEndian(rest[(2 + keyLength)..]);
            if (valueLength < 0 || rest.Length < 6 + keyLength + valueLength) return false;
            if (going) going = onRecord(seq, (ReplicaOp)rest[0], rest.Slice(2, keyLength), rest.Slice(6 + keyLength, valueLength));
            seq++;
            rest = rest[(6 + keyLength + valueLength)..];
        }
        return true;
    }
}
