namespace FastChat.Server.Storage;

/// <summary>
/// Turns one stripe's staged operations into what the write-ahead log needs. A batch is made
/// durable all at once or not at all, so only each key's last operation matters; a key inserted
/// and deleted within the batch (a message delivered and acknowledged before the commit) needs
/// nothing at all. Used by the committing thread alone; its tables are reused from batch to batch.
/// </summary>
internal sealed class BatchCoalescer
{
    private const int EntryLimit = 256 * 1024;

    private int[] _slots = new int[256];  // open addressing over keys: index of the key's first op + 1; 0 = empty
    private int[] _offsets = new int[128];
    private int[] _firstOf = new int[128]; // per op: index of the first op on the same key
    private int[] _lastOf = new int[128];  // per first op: index of the last op on that key
    private byte[] _entry = NewEntry(EntryLimit);
    private int _entryLength = 1; // byte 0 is the entry's tag

    /// <summary>Operations read and operations written by the last batch (for metrics and tests).</summary>
    public long Staged { get; private set; }
    public long Written { get; private set; }

    public void Reset() => Staged = Written = 0;

    /// <summary>Adds the surviving operations of <paramref name="ops"/> to the log (packed, in few entries).</summary>
    public void Coalesce(ReadOnlySpan<byte> ops, WriteAheadLog wal)
    {
        int count = Index(ops);
        Staged += count;
        for (int i = 0; i < count; i++)
        {
            int first = _firstOf[i];
            if (_lastOf[first] != i) continue;
            StagedOps.TryRead(ops[_offsets[i]..], out var op, out var key, out var value, out _);
            StagedOps.TryRead(ops[_offsets[first]..], out var firstOp, out _, out _, out _);
            if (op == StagedOp.Delete && firstOp == StagedOp.Insert) continue; // never existed on disk
            Emit(op == StagedOp.Insert ? StagedOp.Upsert : op, key, value, wal);
        }
    }

    /// <summary>Writes the last partly filled entry.</summary>
    public void Finish(WriteAheadLog wal)
    {
        if (_entryLength > 1) wal.AppendPacked(_entry.AsSpan(0, _entryLength));
        _entryLength = 1;
    }

    private static byte[] NewEntry(int length)
    {
        var entry = new byte[length];
        entry[0] = (byte)WalOp.Packed;
        return entry;
    }

    private void Emit(StagedOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteAheadLog wal)
    {
        int length = StagedOps.HeaderLength + key.Length + value.Length;
        if (_entryLength + length > _entry.Length)
        {
            Finish(wal);
            if (1 + length > _entry.Length) _entry = NewEntry(1 + length);
        }
        _entryLength += StagedOps.Write(_entry.AsSpan(_entryLength), op, key, value);
        Written++;
    }

    /// <summary>Finds every op's first op on the same key and every key's last op; returns the op count.</summary>
    private int Index(ReadOnlySpan<byte> ops)
    {
        int count = 0;
        for (int offset = 0; offset < ops.Length; count++)
        {
            if (!StagedOps.TryRead(ops[offset..], out _, out _, out _, out int length))
                throw new InvalidDataException("Corrupt staged operation.");
            Ensure(ref _offsets, count + 1);
            _offsets[count] = offset;
            offset += length;
        }
        Ensure(ref _firstOf, count);
        Ensure(ref _lastOf, count);
        int size = _slots.Length;
        while (size < 2 * count) size *= 2;
        if (size != _slots.Length) _slots = new int[size];
        else Array.Clear(_slots);
        int mask = size - 1;
        for (int i = 0; i < count; i++)
        {
            var key = KeyAt(ops, i);
            var hash = new HashCode();
            hash.AddBytes(key);
            int slot = hash.ToHashCode() & mask;
            while (true)
            {
                int existing = _slots[slot] - 1;
                if (existing < 0)
                {
                    _slots[slot] = i + 1;
                    _firstOf[i] = _lastOf[i] = i;
                    break;
                }
                if (KeyAt(ops, existing).SequenceEqual(key))
                {
                    _firstOf[i] = existing;
                    _lastOf[existing] = i;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        return count;
    }

    private ReadOnlySpan<byte> KeyAt(ReadOnlySpan<byte> ops, int index)
    {
        int offset = _offsets[index];
        return ops.Slice(offset + StagedOps.HeaderLength, ops[offset + 1]);
    }

    private static void Ensure(ref int[] array, int length)
    {
        if (array.Length >= length) return;
        var bigger = new int[Math.Max(length, array.Length * 2)];
        array.AsSpan().CopyTo(bigger);
        array = bigger;
    }
}
