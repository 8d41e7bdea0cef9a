using System.Buffers;
using System.Buffers.Binary;

namespace FastChat.Server.Storage;

/// <summary>
/// One of the store's key stripes: the lock every write to its keys takes, and the writes made
/// under it since the last cut, in order, as packed operations (<see cref="StagedOps"/>). The
/// group commit takes every stripe's writes at once (<see cref="FasterStore.Cut"/>), so a batch is
/// a consistent cut of the whole store. Two buffers, swapped at the cut: writers fill one while
/// the committer writes out the other, and neither goes back to a pool (no allocation per batch).
/// </summary>
internal sealed class WriteStripe
{
    private byte[]? _buffer; // guarded by this
    private int _length;
    private byte[]? _taken;  // the committer's, from one cut to the next
    private int _takenLength;

    /// <summary>Appends one operation; under this stripe's lock.</summary>
    public void Stage(StagedOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int need = _length + StagedOps.HeaderLength + key.Length + value.Length;
        if (_buffer is null || _buffer.Length < need) Grow(need);
        _length += StagedOps.Write(_buffer.AsSpan(_length), op, key, value);
    }

    /// <summary>The cut, under this stripe's lock: what was staged becomes <see cref="Taken"/>; false when nothing was.</summary>
    public bool Swap()
    {
        if (_length == 0) return false;
        (_buffer, _taken) = (_taken, _buffer);
        (_takenLength, _length) = (_length, 0);
        return true;
    }

    /// <summary>The operations of the last cut; the committer reads them without the lock (writers never touch them).</summary>
    public ReadOnlySpan<byte> Taken => _taken.AsSpan(0, _takenLength);

    private void Grow(int need)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(need, Math.Max(1024, (_buffer?.Length ?? 0) * 2)));
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = bigger;
    }
}

/// <summary>What a staged operation does. <see cref="Insert"/> is an upsert whose writer knows the key was absent.</summary>
internal enum StagedOp : byte
{
    Upsert = 1,
    Delete = 2,
    Insert = 3,
}

/// <summary>The packed form of one operation, in staging and in the write-ahead log: <c>op u8 | key length u8 | value length u32le | key | value</c>.</summary>
internal static class StagedOps
{
    public const int HeaderLength = 6;

    public static int Write(Span<byte> destination, StagedOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        destination[0] = (byte)op;
        destination[1] = checked((byte)key.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[2..], value.Length);
        key.CopyTo(destination[HeaderLength..]);
        value.CopyTo(destination[(HeaderLength + key.Length)..]);
        return HeaderLength + key.Length + value.Length;
    }

    /// <summary>Reads the operation at the start of <paramref name="source"/>; false when it is not a whole, valid one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out StagedOp op, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out int length)
    {
        op = default; key = value = default; length = 0;
        if (source.Length < HeaderLength) return false;
        op = (StagedOp)source[0];
        int keyLength = source[1];
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(source[2..]);
        if (op is not (StagedOp.Upsert or StagedOp.Delete or StagedOp.Insert) || valueLength < 0
            || source.Length - HeaderLength - keyLength < valueLength) return false;
        key = source.Slice(HeaderLength, keyLength);
        value = source.Slice(HeaderLength + keyLength, valueLength);
        length = HeaderLength + keyLength + valueLength;
        return true;
    }
}
