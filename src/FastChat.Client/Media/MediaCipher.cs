using System.Security.Cryptography;

namespace FastChat.Client.Media;

/// <summary>What a recipient needs to fetch and open an encrypted file (it travels inside the E2E message).</summary>
public sealed record MediaKeys(byte[] MediaKey, byte[] FileSha256, byte[] EncryptedSha256, long PlainLength, long EncryptedLength);

/// <summary>The downloaded bytes are not the file the sender described (a wrong digest, a bad MAC).</summary>
public sealed class MediaIntegrityException(string message) : Exception(message);

/// <summary>
/// File encryption as WhatsApp's whitepaper describes it (protocol-spec/16-media.md): a random
/// 32-byte media key, expanded with HKDF-SHA256 (info "FastChat Media Keys") to an IV, an AES-256
/// key and an HMAC-SHA256 key; the file is AES-256-CBC (PKCS#7) encrypted and the first 10 bytes of
/// HMAC(iv ‖ ciphertext) appended. The upload is ciphertext ‖ mac; its SHA-256 is its id.
/// </summary>
public static class MediaCipher
{
    public const int MacLength = 10;
    private static readonly byte[] Info = "FastChat Media Keys"u8.ToArray();

    private static (byte[] Iv, byte[] CipherKey, byte[] MacKey) Expand(byte[] mediaKey)
    {
        var expanded = HKDF.DeriveKey(HashAlgorithmName.SHA256, mediaKey, 112, salt: [], info: Info);
        return (expanded[..16], expanded[16..48], expanded[48..80]);
    }

    /// <summary>Encrypts <paramref name="plain"/> into <paramref name="output"/> under a fresh media key.</summary>
    public static async Task<MediaKeys> EncryptAsync(Stream plain, Stream output, CancellationToken ct = default)
    {
        var mediaKey = RandomNumberGenerator.GetBytes(32);
        var (iv, cipherKey, macKey) = Expand(mediaKey);
        using var aes = Aes.Create();
        aes.Key = cipherKey;
        using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        using var encHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        mac.AppendData(iv);
        var tee = new HashingWriteStream(output, mac, encHash);
        long plainLength = 0;
        await using (var encrypt = new CryptoStream(tee, aes.CreateEncryptor(cipherKey, iv), CryptoStreamMode.Write, leaveOpen: true))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = await plain.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                fileHash.AppendData(buffer, 0, n);
                plainLength += n;
                await encrypt.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
        }
        var tag = mac.GetHashAndReset()[..MacLength];
        encHash.AppendData(tag);
        await output.WriteAsync(tag, ct).ConfigureAwait(false);
        return new MediaKeys(mediaKey, fileHash.GetHashAndReset(), encHash.GetHashAndReset(), plainLength, tee.Written + MacLength);
    }

    /// <summary>
    /// Checks the downloaded <paramref name="encrypted"/> (seekable: read twice) against its digest
    /// and MAC, then decrypts it into <paramref name="output"/> and checks the file's digest.
    /// </summary>
    public static async Task DecryptAsync(Stream encrypted, MediaKeys keys, Stream output, CancellationToken ct = default)
    {
        var (iv, cipherKey, macKey) = Expand(keys.MediaKey);
        long length = encrypted.Length;
        if (length != keys.EncryptedLength || length < MacLength + 16) throw new MediaIntegrityException("the download is not as long as the sender said");
        using var encHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        mac.AppendData(iv);
        var buffer = new byte[81920];
        long body = length - MacLength;
        encrypted.Position = 0;
        for (long read = 0; read < body;)
        {
            int n = await encrypted.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, body - read)), ct).ConfigureAwait(false);
            if (n == 0) throw new MediaIntegrityException("the download ended early");
            encHash.AppendData(buffer, 0, n);
            mac.AppendData(buffer, 0, n);
            read += n;
        }
        var tag = new byte[MacLength];
        await encrypted.ReadExactlyAsync(tag, ct).ConfigureAwait(false);
        encHash.AppendData(tag);
        if (!CryptographicOperations.FixedTimeEquals(encHash.GetHashAndReset(), keys.EncryptedSha256)) throw new MediaIntegrityException("the download's SHA-256 is not the one the sender gave");
        if (!CryptographicOperations.FixedTimeEquals(mac.GetHashAndReset()[..MacLength], tag)) throw new MediaIntegrityException("the file's MAC does not verify");

        using var aes = Aes.Create();
        aes.Key = cipherKey;
        using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        encrypted.Position = 0;
        var tee = new HashingWriteStream(output, fileHash);
        await using (var decrypt = new CryptoStream(tee, aes.CreateDecryptor(cipherKey, iv), CryptoStreamMode.Write, leaveOpen: true))
        {
            for (long read = 0; read < body;)
            {
                int n = await encrypted.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, body - read)), ct).ConfigureAwait(false);
                await decrypt.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                read += n;
            }
        }
        if (!CryptographicOperations.FixedTimeEquals(fileHash.GetHashAndReset(), keys.FileSha256)) throw new MediaIntegrityException("the decrypted file's SHA-256 is not the one the sender gave");
    }

    /// <summary>Passes writes through to a stream, hashing them on the way.</summary>
    private sealed class HashingWriteStream(Stream inner, params IncrementalHash[] hashes) : Stream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (var hash in hashes) hash.AppendData(buffer);
            Written += buffer.Length;
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            foreach (var hash in hashes) hash.AppendData(buffer.Span);
            Written += buffer.Length;
            await inner.WriteAsync(buffer, ct).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
