using FastChat.Client.Media;

namespace FastChat.Client.Encryption;

/// <summary>Files (protocol-spec/16-media.md): encrypted here, uploaded to the media endpoint, sent as a pointer inside an E2E message.</summary>
public sealed partial class SecureChat
{
    /// <summary>
    /// Encrypts the file with a fresh media key, uploads the ciphertext in chunks (a dropped
    /// connection resumes from the server's offset), then sends the pointer to <paramref name="contact"/>;
    /// returns the message id once the server has it (✓). <paramref name="progress"/> hears the bytes uploaded.
    /// </summary>
    public async Task<ulong> SendFileAsync(string contact, string path, IProgress<long>? progress = null, string contentType = "application/octet-stream",
        CancellationToken ct = default)
    {
        var encrypted = Path.Combine(Path.GetTempPath(), $"fastchat-upload-{Guid.NewGuid():N}");
        try
        {
            MediaKeys keys;
            await using (var plain = File.OpenRead(path))
            await using (var output = File.Create(encrypted))
                keys = await MediaCipher.EncryptAsync(plain, output, ct).ConfigureAwait(false);
            var uploaded = await new MediaTransfer(_client).UploadAsync(encrypted, progress, ct).ConfigureAwait(false);
            var pointer = new MediaPointer(uploaded.DownloadUrl, keys, Path.GetFileName(path), contentType, uploaded.CertificatePin);
            ulong id = await SendEnvelopeAsync(contact, new PlaintextEnvelope(EnvelopeKind.Media, NowMs, pointer.Encode()), ct).ConfigureAwait(false);
            lock (_storeLock) _store.AddHistory(new Storage.HistoryEntry(contact, true, null, id, DateTimeOffset.UtcNow, $"[file] {pointer.FileName}", true));
            return id;
        }
        finally
        {
            File.Delete(encrypted);
        }
    }
}
