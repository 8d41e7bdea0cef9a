using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Media;

/// <summary>Deletes blobs past their lifetime and unfinished uploads past their ticket's, every so often (a tenth of the blob lifetime, at most hourly).</summary>
internal sealed class MediaSweeper(MediaService media, ILogger<MediaSweeper> logger) : IHostedService, IDisposable
{
    private ITimer? _timer;
    private int _running;

    public Task StartAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, media.Options.BlobLifetime.Ticks / 10));
        _timer = media.Time.CreateTimer(_ => _ = SweepAsync(), null, every, every);
        return Task.CompletedTask;
    }

    public async Task SweepAsync()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) return;
        try
        {
            var now = media.Time.GetUtcNow();
            int uploads = media.Uploads.Sweep(now - media.Options.TicketLifetime);
            int blobs = 0;
            await foreach (var (id, storedAt) in media.Blobs.ListAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (storedAt + media.Options.BlobLifetime > now) continue;
                await media.Blobs.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
                blobs++;
            }
            if (blobs + uploads > 0) logger.LogInformation("Media sweep: {Blobs} blobs past their lifetime and {Uploads} abandoned uploads deleted.", blobs, uploads);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Media sweep failed; it runs again later.");
        }
        finally { Volatile.Write(ref _running, 0); }
    }

    public Task StopAsync(CancellationToken ct)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();
}
