using FastChat.Protocol.Frames;

namespace FastChat.Server.Media;

/// <summary>
/// Media at this node (protocol-spec/16-media.md): upload tickets for its users, the signed URLs,
/// the unfinished uploads and the blob store behind them.
/// </summary>
internal sealed class MediaService(MediaOptions options, MediaUrls urls, MediaSigner signer, IBlobStore blobs, UploadArea uploads, MediaQuota quota,
    byte[] certificatePin, TimeProvider time)
{
    public MediaOptions Options => options;
    public MediaSigner Signer => signer;
    public IBlobStore Blobs => blobs;
    public UploadArea Uploads => uploads;
    public TimeProvider Time => time;

    /// <summary>Answers a MEDIA_UPLOAD_REQUEST of <paramref name="user"/>.</summary>
    public async Task<MediaTicketBody> IssueAsync(MediaUploadRequestBody request, string user, ReadOnlyMemory<byte> userBytes, CancellationToken ct)
    {
        MediaTicketBody Refuse(MediaStatusCode status, string message) => new(request.RequestId, status, "", "", 0, 0, [], message);
        if (request.Size == 0 || request.Size > (ulong)options.MaxFileBytes) return Refuse(MediaStatusCode.TooLarge, $"a file is 1 to {options.MaxFileBytes} bytes (encrypted)");
        string id = Convert.ToHexStringLower(request.Sha256);
        if (await blobs.StatAsync(id, ct).ConfigureAwait(false) is { } stored && (ulong)stored.Length == request.Size)
            return new(request.RequestId, MediaStatusCode.Exists, "", DownloadUrl(id, stored.StoredAt), request.Size, 0, certificatePin, "");
        // A ticket again for an upload that was cut off: counted when it was first issued.
        if (!uploads.Started(id, user) && !await quota.TryReserveAsync(userBytes, (long)request.Size).ConfigureAwait(false))
            return Refuse(MediaStatusCode.QuotaExceeded, $"at most {options.BytesPerUserPerDay} bytes a day (or your account is moving between servers)");
        long expires = (time.GetUtcNow() + options.TicketLifetime).ToUnixTimeMilliseconds();
        // The download URL is good from the moment the upload completes until the blob's lifetime ends.
        return new(request.RequestId, MediaStatusCode.Upload, urls.Upload(id, user, request.Size, expires), DownloadUrl(id, time.GetUtcNow()),
            (ulong)uploads.Offset(id, user), expires, certificatePin, "");
    }

    public string DownloadUrl(string id, DateTimeOffset storedAt) => urls.Download(id, (storedAt + options.BlobLifetime).ToUnixTimeMilliseconds());
}
