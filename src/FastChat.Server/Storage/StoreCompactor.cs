using FastChat.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>
/// Keeps the FASTER log from growing without bound. Every message leaves dead records behind
/// (the delivered entry's tombstone, superseded queue heads and high-water marks), so when the
/// log spans more than the threshold, its older half is compacted: live records move to the
/// tail, the begin address moves up, and the next commit truncates the file.
/// </summary>
internal sealed class StoreCompactor(FasterStore store, GroupCommit commit, FastChatOptions options, ILogger<StoreCompactor> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long threshold = options.CompactionThresholdMegabytes * 1024L * 1024L;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.CompactionIntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                long begin = store.BeginAddress, tail = store.TailAddress;
                if (tail - begin < threshold) continue;
                try
                {
                    long compacted = store.Compact(begin + (tail - begin) / 2);
                    commit.MarkDirty();
                    logger.LogInformation("Compacted store log {Begin} -> {NewBegin} (tail {Tail}).", begin, compacted, store.TailAddress);
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Store compaction failed; will retry.");
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
