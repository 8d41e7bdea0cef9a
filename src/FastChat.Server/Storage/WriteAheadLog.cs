using FASTER.core;

namespace FastChat.Server.Storage;

internal enum WalOp : byte
{
    Upsert = 1,
    Delete = 2,
    /// <summary>An entry of many packed operations (<see cref="StagedOps"/>), written by group commit.</summary>
    Packed = 3,
}

/// <summary>
/// The durable record of every change, a FASTER log. An entry is either one operation
/// (<c>op u8 | key length u8 | key | value</c>, as written before batches were coalesced) or
/// <c>0x03</c> and many packed operations. Group commit appends a batch's entries and commits
/// them with one <see cref="CommitAsync"/>; nothing else commits, so a batch is recovered whole
/// or not at all. On start the committed log is replayed into a fresh <see cref="KvIndex"/>.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    private readonly FasterLog _log;
    private readonly IDevice _device;

    // 1 MiB pages: FASTER fills a page when it starts one, so the page size is resident memory from
    // the first write. Logs written before this file existed used 4 MiB pages, and a log must be
    // read with the page size it was written with (an entry never spans a page).
    private const int PageSizeBits = 20;
    private const int LegacyPageSizeBits = 22;
    private const string PageSizeFile = "page-size-bits";

    public WriteAheadLog(string directory)
    {
        Directory.CreateDirectory(directory);
        int pageBits = PageBitsOf(directory);
        _device = Devices.CreateLogDevice(Path.Combine(directory, "wal.log"), preallocateFile: false);
        _log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _device,
            LogCommitDir = Path.Combine(directory, "commits"),
            PageSizeBits = pageBits,
            MemorySizeBits = 26,
            SegmentSizeBits = 30,
        });
    }

    /// <summary>The page size this directory's log was written with (recorded for a new log).</summary>
    private static int PageBitsOf(string directory)
    {
        var file = Path.Combine(directory, PageSizeFile);
        if (File.Exists(file)) return int.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if (Directory.EnumerateFiles(directory, "wal.log*").Any()) return LegacyPageSizeBits;
        File.WriteAllText(file, PageSizeBits.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return PageSizeBits;
    }

    public long BeginAddress => _log.BeginAddress;
    public long TailAddress => _log.TailAddress;

    /// <summary>True when the last commit covers the tail and the begin address (nothing to commit).</summary>
    public bool FullyCommitted => _log.CommittedUntilAddress >= _log.TailAddress && _log.CommittedBeginAddress == _log.BeginAddress;

    /// <summary>Bytes one operation takes inside a packed entry.</summary>
    public static long OperationLength(int keyLength, int valueLength) => StagedOps.HeaderLength + keyLength + valueLength;

    /// <summary>Appends one entry of packed operations: <see cref="WalOp.Packed"/>, then operations in <see cref="StagedOps"/> format (Upsert and Delete only).</summary>
    public void AppendPacked(ReadOnlySpan<byte> entry)
    {
        if (entry.IsEmpty || entry[0] != (byte)WalOp.Packed) throw new ArgumentException("not a packed entry", nameof(entry));
        _log.Enqueue(entry);
    }

    /// <summary>Durable once this completes: everything appended before the call.</summary>
    public ValueTask CommitAsync() => _log.CommitAsync();

    public delegate void ReplayHandler(WalOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Applies every committed record in order; returns how many.</summary>
    public long Replay(ReplayHandler apply)
    {
        long count = 0;
        using var iterator = _log.Scan(_log.BeginAddress, _log.TailAddress);
        while (iterator.GetNext(out byte[] entry, out int length, out _))
        {
            var record = entry.AsSpan(0, length);
            if (length >= 1 && record[0] == (byte)WalOp.Packed)
            {
                for (var ops = record[1..]; !ops.IsEmpty; count++)
                {
                    if (!StagedOps.TryRead(ops, out var op, out var key, out var value, out int used) || op == StagedOp.Insert)
                        throw new InvalidDataException($"Corrupt packed write-ahead log entry after record {count}.");
                    apply((WalOp)op, key, value);
                    ops = ops[used..];
                }
                continue;
            }
            if (length < 2 || record[0] is not ((byte)WalOp.Upsert or (byte)WalOp.Delete) || length < 2 + record[1])
                throw new InvalidDataException($"Corrupt write-ahead log record at entry {count}.");
            int keyLength = record[1];
            apply((WalOp)record[0], record.Slice(2, keyLength), record[(2 + keyLength)..]);
            count++;
        }
        return count;
    }

    /// <summary>Drops everything before <paramref name="address"/>; takes effect on disk with the next commit.</summary>
    public void TruncateUntil(long address) => _log.TruncateUntil(address);

    public void Dispose()
    {
        _log.Dispose();
        _device.Dispose();
    }
}
