namespace FastChat.Server.Media;

/// <summary>A stored blob: its length and when it was stored (its lifetime runs from then).</summary>
internal sealed record BlobInfo(long Length, DateTimeOffset StoredAt);

/// <summary>
/// Where finished uploads live, by id (the SHA-256 of the ciphertext, lower-case hex): the local
/// filesystem by default, or an S3-compatible service. The server never sees plaintext: blobs are
/// the clients' ciphertexts.
/// </summary>
internal interface IBlobStore
{
    Task<BlobInfo?> StatAsync(string id, CancellationToken ct);

    /// <summary>Takes the finished upload at <paramref name="sourcePath"/> (moved or copied; the caller deletes what is left).</summary>
    Task PutAsync(string id, string sourcePath, CancellationToken ct);

    /// <summary><paramref name="length"/> bytes from <paramref name="offset"/>; null when there is no such blob.</summary>
    Task<Stream?> OpenReadAsync(string id, long offset, long length, CancellationToken ct);

    Task DeleteAsync(string id, CancellationToken ct);

    IAsyncEnumerable<(string Id, DateTimeOffset StoredAt)> ListAsync(CancellationToken ct);
}

internal static class BlobIds
{
    /// <summary>64 lower-case hex digits: what ids look like, checked before any path or key is made of one.</summary>
    public static bool IsValid(string id) => id.Length == 64 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
