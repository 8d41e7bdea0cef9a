using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Tests.Unit;

/// <summary>What the write-ahead log recovers: committed writes only, with the page size the log was written with.</summary>
public class WriteAheadLogTests
{
    private static FasterStore Open(TempDirectory directory) => new(directory.Path, 16, NullLogger.Instance);

    private static string? ReadString(FasterStore store, ReadOnlySpan<byte> key) =>
        store.Read(key) is { } value ? System.Text.Encoding.ASCII.GetString(value) : null;

    [Fact]
    public async Task Writes_not_yet_committed_are_not_recovered_and_committed_ones_are()
    {
        using var directory = new TempDirectory();
        var store = Open(directory);
        store.Upsert("H|alice"u8, "1"u8);
        await store.CommitAsync();
        store.Upsert("H|alice"u8, "2"u8);
        store.Upsert("Q|2"u8, "message"u8);
        // No commit: like a kill -9 here (the log is closed without committing what was appended).
        store.Dispose();
        using var reopened = Open(directory);
        Assert.Equal("1", ReadString(reopened, "H|alice"u8));
        Assert.Null(reopened.Read("Q|2"u8));
    }

    [Fact]
    public async Task A_log_written_with_the_older_page_size_is_read_with_it()
    {
        using var directory = new TempDirectory();
        var wal = Path.Combine(directory.Path, "wal");
        Directory.CreateDirectory(wal);
        // What versions before the page-size-bits file wrote: 4 MiB pages.
        using (var device = FASTER.core.Devices.CreateLogDevice(Path.Combine(wal, "wal.log"), preallocateFile: false))
        using (var log = new FASTER.core.FasterLog(new FASTER.core.FasterLogSettings
               { LogDevice = device, LogCommitDir = Path.Combine(wal, "commits"), PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = 30 }))
        {
            var filler = new byte[300_000]; // entries that cross 1 MiB boundaries of the newer page size
            for (int i = 0; i < 8; i++) log.Enqueue([(byte)WalOp.Upsert, 3, (byte)'F', (byte)'|', (byte)('0' + i), .. filler]);
            log.Enqueue([(byte)WalOp.Upsert, 3, (byte)'K', (byte)'|', (byte)'1', (byte)'v']);
            log.Enqueue([(byte)WalOp.Delete, 3, (byte)'F', (byte)'|', (byte)'0']);
            await log.CommitAsync();
        }
        using var store = Open(directory);
        Assert.Equal(10, store.RecoveredRecords);
        Assert.Equal("v", ReadString(store, "K|1"u8));
        Assert.Null(store.Read("F|0"u8));
        Assert.Equal(300_000, store.Read("F|7"u8)!.Length);
        Assert.False(File.Exists(Path.Combine(wal, "page-size-bits")));
    }

    [Fact]
    public void A_new_log_records_its_page_size()
    {
        using var directory = new TempDirectory();
        using (Open(directory)) { }
        Assert.Equal("20", File.ReadAllText(Path.Combine(directory.Path, "wal", "page-size-bits")).Trim());
    }
}
