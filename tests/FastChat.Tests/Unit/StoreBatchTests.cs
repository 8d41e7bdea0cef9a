using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Tests.Unit;

/// <summary>Group commit writes each batch coalesced: each key's last state, nothing for a key born and gone within it.</summary>
public class StoreBatchTests
{
    private static async Task CommitAsync(FasterStore store)
    {
        store.Cut(static () => { });
        await store.CommitCutAsync();
    }

    private static FasterStore Open(TempDirectory directory) => new(directory.Path, 16, NullLogger.Instance);

    private static string? ReadString(FasterStore store, ReadOnlySpan<byte> key) =>
        store.Read(key) is { } value ? System.Text.Encoding.ASCII.GetString(value) : null;

    [Fact]
    public async Task An_entry_inserted_and_deleted_before_the_commit_never_reaches_the_log()
    {
        using var directory = new TempDirectory();
        using (var store = Open(directory))
        {
            store.Insert("Q|1"u8, "message"u8);
            store.Upsert("M|bob"u8, "tail 1"u8);
            store.Delete("Q|1"u8);
            store.Upsert("M|bob"u8, "head 1"u8);
            Assert.Null(store.Read("Q|1"u8));
            await CommitAsync(store);
            Assert.Equal((4L, 1L), store.LastBatch);
        }
        using (var store = Open(directory))
        {
            Assert.Equal(1, store.RecoveredRecords);
            Assert.Null(store.Read("Q|1"u8));
            Assert.Equal("head 1", ReadString(store, "M|bob"u8));
        }
    }

    [Fact]
    public async Task A_delete_of_an_entry_committed_earlier_is_logged()
    {
        using var directory = new TempDirectory();
        using (var store = Open(directory))
        {
            store.Insert("Q|1"u8, "message"u8);
            await CommitAsync(store);
            store.Delete("Q|1"u8);
            await CommitAsync(store);
            Assert.Equal((1L, 1L), store.LastBatch);
        }
        using (var store = Open(directory))
            Assert.Null(store.Read("Q|1"u8));
    }

    [Fact]
    public async Task Writes_not_yet_committed_are_not_recovered_and_committed_ones_are()
    {
        using var directory = new TempDirectory();
        var store = Open(directory);
        store.Upsert("H|alice"u8, "1"u8);
        await CommitAsync(store);
        store.Upsert("H|alice"u8, "2"u8);
        store.Insert("Q|2"u8, "message"u8);
        // No commit: like a kill -9 here (the log is closed without committing what was staged).
        store.Dispose();
        using var reopened = Open(directory);
        Assert.Equal("1", ReadString(reopened, "H|alice"u8));
        Assert.Null(reopened.Read("Q|2"u8));
    }

    [Fact]
    public async Task A_rewrite_during_traffic_keeps_every_live_key_and_drops_the_rest()
    {
        using var directory = new TempDirectory();
        using (var store = Open(directory))
        using (var commit = new GroupCommit(store, new FastChat.Server.Telemetry.FastChatMetrics(), NullLogger<GroupCommit>.Instance, TimeSpan.Zero))
        {
            for (int i = 0; i < 200; i++) store.Insert(System.Text.Encoding.ASCII.GetBytes($"Q|{i}"), "m"u8);
            await commit.WaitForCommitAsync();
            var rewrite = store.RewriteLogAsync(commit.WaitForCommitAsync);
            // Meanwhile: the first half is delivered and acknowledged, new entries arrive.
            for (int i = 0; i < 100; i++) store.Delete(System.Text.Encoding.ASCII.GetBytes($"Q|{i}"));
            for (int i = 200; i < 250; i++) store.Insert(System.Text.Encoding.ASCII.GetBytes($"Q|{i}"), "m"u8);
            for (int i = 200; i < 220; i++) store.Delete(System.Text.Encoding.ASCII.GetBytes($"Q|{i}"));
            await rewrite;
            await commit.WaitForCommitAsync();
        }
        using (var store = Open(directory))
        {
            for (int i = 0; i < 250; i++)
            {
                bool live = i is >= 100 and < 200 or >= 220;
                Assert.True(live == store.Read(System.Text.Encoding.ASCII.GetBytes($"Q|{i}")) is not null, $"Q|{i} should be {(live ? "live" : "gone")}");
            }
        }
    }

    [Fact]
    public async Task A_log_written_by_an_older_version_is_read_with_its_page_size_and_record_format()
    {
        using var directory = new TempDirectory();
        var wal = Path.Combine(directory.Path, "wal");
        Directory.CreateDirectory(wal);
        // What versions before batch coalescing wrote: 4 MiB pages, one operation per entry.
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
}
