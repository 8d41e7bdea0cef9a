using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace FastChat.Server.Media;

/// <summary>Blobs in an S3-compatible bucket (AWSSDK.S3), one object per id; any node of a fleet can serve any blob.</summary>
internal sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly string _bucket;
    private readonly SemaphoreSlim _bucketReady = new(1, 1);
    private bool _bucketChecked;

    public S3BlobStore(MediaOptions options)
    {
        _bucket = options.S3Bucket;
        var config = new AmazonS3Config
        {
            ServiceURL = options.S3ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = options.S3Region,
            // Plain requests: S3-compatible stores do not all speak the newer flexible checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials(options.S3AccessKey, options.S3SecretKey), config);
    }

    public async Task<BlobInfo?> StatAsync(string id, CancellationToken ct)
    {
        await EnsureBucketAsync(ct).ConfigureAwait(false);
        try
        {
            var meta = await _s3.GetObjectMetadataAsync(_bucket, id, ct).ConfigureAwait(false);
            return new BlobInfo(meta.ContentLength, new DateTimeOffset(DateTime.SpecifyKind(meta.LastModified ?? DateTime.UtcNow, DateTimeKind.Utc)));
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    public async Task PutAsync(string id, string sourcePath, CancellationToken ct)
    {
        await EnsureBucketAsync(ct).ConfigureAwait(false);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = id, FilePath = sourcePath, UseChunkEncoding = false }, ct).ConfigureAwait(false);
    }

    public async Task<Stream?> OpenReadAsync(string id, long offset, long length, CancellationToken ct)
    {
        if (length == 0) return new MemoryStream([], writable: false);
        try
        {
            var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = id, ByteRange = new ByteRange(offset, offset + length - 1) }, ct)
                .ConfigureAwait(false);
            return new LengthLimitedStream(response.ResponseStream, length);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    public Task DeleteAsync(string id, CancellationToken ct) => _s3.DeleteObjectAsync(_bucket, id, ct);

    public async IAsyncEnumerable<(string Id, DateTimeOffset StoredAt)> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await EnsureBucketAsync(ct).ConfigureAwait(false);
        string? token = null;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, ContinuationToken = token }, ct).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
                if (BlobIds.IsValid(item.Key)) yield return (item.Key, new DateTimeOffset(DateTime.SpecifyKind(item.LastModified ?? DateTime.UtcNow, DateTimeKind.Utc)));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
    }

    /// <summary>Creates the bucket on first use when it is not there (a fresh S3-compatible service).</summary>
    private async Task EnsureBucketAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _bucketChecked)) return;
        await _bucketReady.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_bucketChecked) return;
            try { await _s3.PutBucketAsync(_bucket, ct).ConfigureAwait(false); }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Conflict || ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
            _bucketChecked = true;
        }
        finally { _bucketReady.Release(); }
    }

    public void Dispose() => _s3.Dispose();
}
