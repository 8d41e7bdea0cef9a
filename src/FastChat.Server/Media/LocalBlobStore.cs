using System.Runtime.CompilerServices;

namespace FastChat.Server.Media;

/// <summary>Blobs as files, <c>media/blobs/ab/abcd…</c>; the file's write time is when it was stored.</summary>
internal sealed class LocalBlobStore(string root, TimeProvider time) : IBlobStore
{
    private string PathOf(string id) => Path.Combine(root, id[..2], id);

    public Task<BlobInfo?> StatAsync(string id, CancellationToken ct)
    {
        var file = new FileInfo(PathOf(id));
        return Task.FromResult(file.Exists ? new BlobInfo(file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)) : null);
    }

    public Task PutAsync(string id, string sourcePath, CancellationToken ct)
    {
        var path = PathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) File.Move(sourcePath, path); // same id, same bytes: a second copy is not kept
        File.SetLastWriteTimeUtc(path, time.GetUtcNow().UtcDateTime);
        return Task.CompletedTask;
    }

    public Task<Stream?> OpenReadAsync(string id, long offset, long length, CancellationToken ct)
    {
        var path = PathOf(id);
        if (!File.Exists(path)) return Task.FromResult<Stream?>(null);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
        stream.Position = offset;
        return Task.FromResult<Stream?>(new LengthLimitedStream(stream, length));
    }

    public Task DeleteAsync(string id, CancellationToken ct)
    {
        File.Delete(PathOf(id));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<(string Id, DateTimeOffset StoredAt)> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (!Directory.Exists(root)) yield break;
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            ct.ThrowIfCancellationRequested();
            if (BlobIds.IsValid(file.Name)) yield return (file.Name, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}

/// <summary>A read-only view of the next <c>length</c> bytes of a stream (a range of a blob).</summary>
internal sealed class LengthLimitedStream(Stream inner, long limit) : Stream
{
    private readonly long _limit = limit;
    private long _left = limit;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _limit;
    public override long Position { get => _limit - _left; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_left <= 0) return 0;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
        _left -= n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_left <= 0) return 0;
        int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], ct).ConfigureAwait(false);
        _left -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
