using System.Security.Cryptography;
using System.Text;

namespace FastChat.Server.Media;

/// <summary>
/// HMAC-SHA256 signatures of media URLs (protocol-spec/16-media.md): an upload URL names the
/// blob, the uploader, the size and its expiry; a download URL the blob and its expiry. The key
/// is the cluster's (FastChat:Media:SigningKey) or one kept in the data directory.
/// </summary>
internal sealed class MediaSigner
{
    private readonly byte[] _key;

    public MediaSigner(MediaOptions options, string dataDirectory)
    {
        if (options.SigningKey.Length > 0)
        {
            _key = Convert.FromHexString(options.SigningKey);
            return;
        }
        var path = Path.Combine(dataDirectory, "media.key");
        if (File.Exists(path)) _key = File.ReadAllBytes(path);
        else
        {
            Directory.CreateDirectory(dataDirectory);
            _key = RandomNumberGenerator.GetBytes(32);
            File.WriteAllBytes(path, _key);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        if (_key.Length != 32) throw new InvalidDataException($"{path} must hold 32 bytes");
    }

    public string SignUpload(string blobId, string user, ulong size, long expiresMs) => Sign($"fastchat-upload\n{blobId}\n{user}\n{size}\n{expiresMs}");

    public string SignDownload(string blobId, long expiresMs) => Sign($"fastchat-download\n{blobId}\n{expiresMs}");

    public bool VerifyUpload(string blobId, string user, ulong size, long expiresMs, string signature) =>
        Equal(SignUpload(blobId, user, size, expiresMs), signature);

    public bool VerifyDownload(string blobId, long expiresMs, string signature) => Equal(SignDownload(blobId, expiresMs), signature);

    private string Sign(string statement) => System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(statement)));

    private static bool Equal(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given));
}
