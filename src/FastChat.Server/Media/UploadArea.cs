using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FastChat.Server.Media;

/// <summary>What a PATCH did.</summary>
internal enum ChunkOutcome { Accepted, Completed, WrongOffset, TooLong, DigestMismatch }

/// <summary>
/// Unfinished uploads, one file per blob and uploader (<c>media/partial/ID-USER</c>), so an upload
/// resumes where the last byte landed. Chunks of one upload are appended one at a time; the last
/// one checks the whole file's SHA-256 against the id before it goes to the blob store.
/// </summary>
internal sealed class UploadArea(string root, IBlobStore blobs)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    private string PathOf(string blobId, string user) => Path.Combine(root, $"{blobId}-{user}");

    /// <summary>Bytes received so far of this user's upload of this blob.</summary>
    public long Offset(string blobId, string user) => new FileInfo(PathOf(blobId, user)) is { Exists: true } file ? file.Length : 0;

    public bool Started(string blobId, string user) => File.Exists(PathOf(blobId, user));

    /// <summary>Appends <paramref name="body"/> at <paramref name="offset"/> (which must be where the upload stands), up to <paramref name="maxChunk"/> bytes.</summary>
    public async Task<(ChunkOutcome Outcome, long Offset)> AppendAsync(string blobId, string user, long size, long offset, Stream body, int maxChunk, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(PathOf(blobId, user), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(root);
            var path = PathOf(blobId, user);
            long current = Offset(blobId, user);
            if (offset != current) return (ChunkOutcome.WrongOffset, current);
            long allowed = Math.Min(maxChunk, size - current);
            await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true))
            {
                var buffer = new byte[64 * 1024];
                long written = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    if (written + n > allowed)
                    {
                        file.SetLength(current); // the chunk is refused whole
                        return (ChunkOutcome.TooLong, current);
                    }
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    written += n;
                }
                current += written;
            }
            if (current < size) return (ChunkOutcome.Accepted, current);
            if (!await DigestMatchesAsync(path, blobId, ct).ConfigureAwait(false))
            {
                File.Delete(path);
                return (ChunkOutcome.DigestMismatch, 0);
            }
            await blobs.PutAsync(blobId, path, ct).ConfigureAwait(false);
            File.Delete(path);
            return (ChunkOutcome.Completed, current);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Removes unfinished uploads last written before <paramref name="before"/> (their tickets have expired).</summary>
    public int Sweep(DateTimeOffset before)
    {
        if (!Directory.Exists(root)) return 0;
        int removed = 0;
        foreach (var file in new DirectoryInfo(root).EnumerateFiles())
            if (file.LastWriteTimeUtc < before.UtcDateTime)
            {
                file.Delete();
                _locks.TryRemove(file.FullName, out _);
                removed++;
            }
        return removed;
    }

    private static async Task<bool> DigestMatchesAsync(string path, string blobId, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        var digest = await SHA256.HashDataAsync(file, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(digest) == blobId;
    }
}
