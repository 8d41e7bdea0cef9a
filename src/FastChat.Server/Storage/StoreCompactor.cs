using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>
/// Keeps the store's two logs bounded. Every message leaves dead records behind (the delivered
/// entry's delete, superseded queue heads and high-water marks): the write-ahead log is rewritten
/// as a snapshot of the live state once it outgrows the threshold and twice the last snapshot (so a
/// large live state is not rewritten over and over), and the KV's own log has its older half
/// compacted past the threshold.
/// </summary>
internal sealed class StoreCompactor(FasterStore store, StorageOptions options, ILogger<StoreCompactor> logger)
    : BackgroundService
{
    // The last snapshot's own size. Not the WAL's size just after the rewrite: under load that
    // includes what writers appended meanwhile, and an inflated base kept the WAL from ever being
    // rewritten again once the traffic stopped.
    private long _lastSnapshotBytes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long threshold = options.CompactionThresholdBytes;
        using var timer = new PeriodicTimer(options.CompactionInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CompactAsync(threshold).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Store compaction failed; will retry.");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task CompactAsync(long threshold)
    {
        long walBytes = store.WalBytes;
        if (walBytes > Math.Max(threshold, 2 * _lastSnapshotBytes))
        {
            var (records, bytes) = await store.RewriteLogAsync().ConfigureAwait(false);
            _lastSnapshotBytes = bytes;
            logger.LogInformation("Rewrote the write-ahead log: {Before} -> {After} bytes ({Records} live records, {Snapshot} bytes).",
                walBytes, store.WalBytes, records, bytes);
        }
        long begin = store.KvBeginAddress, tail = store.KvTailAddress;
        if (tail - begin > threshold)
        {
            long compacted = store.CompactIndex(begin + (tail - begin) / 2);
            logger.LogInformation("Compacted the index log {Begin} -> {NewBegin} (tail {Tail}).", begin, compacted, tail);
        }
    }
}
