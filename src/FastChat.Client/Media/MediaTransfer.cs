using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using FastChat.Protocol.Frames;

namespace FastChat.Client.Media;

/// <summary>The media endpoint refused or failed a transfer.</summary>
public sealed class MediaTransferException(string message) : Exception(message);

/// <summary>
/// Uploads (resumable: chunks at offsets, the server's offset asked again after a failure) and
/// downloads (resumed with a range request) of encrypted files (protocol-spec/16-media.md).
/// </summary>
public sealed class MediaTransfer(FastChatClient client)
{
    /// <summary>Bytes per PATCH.</summary>
    public int ChunkBytes { get; init; } = 1024 * 1024;
    /// <summary>Failed chunks retried (after asking the server where the upload stands) before giving up.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>What an upload ended with: the download URL, the pin for its endpoint, and the offset it started from (more than 0 when resumed).</summary>
    public sealed record Uploaded(string DownloadUrl, byte[] CertificatePin, long ResumedFrom, bool AlreadyStored);

    /// <summary>Uploads the encrypted file at <paramref name="path"/>; <paramref name="progress"/> is told the bytes the server has.</summary>
    public async Task<Uploaded> UploadAsync(string path, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        long size = new FileInfo(path).Length;
        byte[] digest;
        await using (var file = File.OpenRead(path)) digest = await SHA256.HashDataAsync(file, ct).ConfigureAwait(false);
        var ticket = await client.RequestMediaUploadAsync((ulong)size, digest, ct).ConfigureAwait(false);
        if (ticket.Status == MediaStatusCode.Exists)
        {
            progress?.Report(size);
            return new Uploaded(ticket.DownloadUrl, ticket.CertificateSha256, size, true);
        }
        if (ticket.Status != MediaStatusCode.Upload) throw new MediaTransferException(ticket.Message);
        using var http = MediaHttp.Create(ticket.CertificateSha256);
        long offset = await ServerOffsetAsync(http, ticket.UploadUrl, ct).ConfigureAwait(false);
        long resumedFrom = offset;
        progress?.Report(offset);
        await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        var buffer = new byte[ChunkBytes];
        int failures = 0;
        while (offset < size)
        {
            source.Position = offset;
            int n = await source.ReadAtLeastAsync(buffer.AsMemory(0, (int)Math.Min(ChunkBytes, size - offset)), (int)Math.Min(ChunkBytes, size - offset), true, ct).ConfigureAwait(false);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Patch, ticket.UploadUrl) { Content = new ByteArrayContent(buffer, 0, n) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
                request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
                using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Conflict && OffsetOf(response) is { } now) offset = now;
                else throw new MediaTransferException($"the media endpoint refused the upload: {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim()}");
                progress?.Report(offset);
                failures = 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested && ++failures <= Retries)
            {
                // The chunk may or may not have landed: ask the server, then go on from there.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * failures), ct).ConfigureAwait(false);
                offset = await ServerOffsetAsync(http, ticket.UploadUrl, ct).ConfigureAwait(false);
            }
        }
        return new Uploaded(ticket.DownloadUrl, ticket.CertificateSha256, resumedFrom, false);
    }

    private static async Task<long> ServerOffsetAsync(HttpClient http, string uploadUrl, CancellationToken ct)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, uploadUrl), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || OffsetOf(response) is not { } offset) throw new MediaTransferException($"the media endpoint answered {(int)response.StatusCode} for the upload");
        return offset;
    }

    private static long? OffsetOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Upload-Offset", out var values) && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long offset) ? offset : null;

    /// <summary>
    /// Downloads <paramref name="pointer"/>'s ciphertext to <paramref name="encryptedPath"/> (resuming
    /// a partial one with a range request), then checks and decrypts it to <paramref name="outputPath"/>.
    /// </summary>
    public static async Task DownloadAsync(MediaPointer pointer, string encryptedPath, string outputPath, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var http = MediaHttp.Create(pointer.CertificatePin);
        long have = File.Exists(encryptedPath) ? new FileInfo(encryptedPath).Length : 0;
        if (have > pointer.Keys.EncryptedLength) { File.Delete(encryptedPath); have = 0; }
        if (have < pointer.Keys.EncryptedLength)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, pointer.Url);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new MediaTransferException($"the media endpoint answered {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim()}");
            if (response.StatusCode != HttpStatusCode.PartialContent) have = 0; // the whole file came back
            await using var file = new FileStream(encryptedPath, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                have += n;
                progress?.Report(have);
            }
        }
        var temporary = outputPath + ".part";
        try
        {
            await using (var encrypted = new FileStream(encryptedPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
                await MediaCipher.DecryptAsync(encrypted, pointer.Keys, output, ct).ConfigureAwait(false);
            File.Move(temporary, outputPath, overwrite: true);
            File.Delete(encryptedPath);
        }
        catch (MediaIntegrityException)
        {
            File.Delete(temporary);
            File.Delete(encryptedPath); // not worth resuming
            throw;
        }
    }
}
