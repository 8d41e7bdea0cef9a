using System.Buffers;
using FASTER.core;

namespace FastChat.Server.Storage;

internal enum WalOp : byte
{
    Upsert = 1,
    Delete = 2,
}

/// <summary>
/// The durable record of every change, a FASTER log: <c>op u8 | key length u8 | key | value</c>.
/// Group commit is one <see cref="CommitAsync"/> for everything appended before it. On start the
/// committed log is replayed into a fresh <see cref="KvIndex"/>.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    private const int StackRecord = 512;
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

    /// <summary>Bytes one record takes in the log: FASTER's 4-byte entry header, then ours, padded to 4.</summary>
    public static long RecordLength(int keyLength, int valueLength) => 4 + ((2 + keyLength + valueLength + 3) & ~3);

    public void Append(WalOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int length = 2 + key.Length + value.Length;
        byte[]? rented = null;
        Span<byte> record = length <= StackRecord ? stackalloc byte[StackRecord] : (rented = ArrayPool<byte>.Shared.Rent(length));
        record[0] = (byte)op;
        record[1] = checked((byte)key.Length);
        key.CopyTo(record[2..]);
        value.CopyTo(record[(2 + key.Length)..]);
        _log.Enqueue(record[..length]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
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
