using FastChat.Protocol.Frames;
using MessagePack;

namespace FastChat.Client.Media;

/// <summary>
/// A file in a message (envelope kind 4, protocol-spec/16-media.md): where the ciphertext is, the
/// keys and digests to open it, its name and type, and the media endpoint's certificate pin (empty
/// when it has a publicly trusted certificate). MessagePack
/// <c>[url, media_key, file_sha256, enc_sha256, size, enc_size, name, content_type, cert_sha256]</c>.
/// </summary>
public sealed record MediaPointer(string Url, MediaKeys Keys, string FileName, string ContentType, byte[] CertificatePin)
{
    public byte[] Encode() => ControlFrames.EncodeBody((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(9);
        w.Write(Url); w.Write(Keys.MediaKey); w.Write(Keys.FileSha256); w.Write(Keys.EncryptedSha256);
        w.Write(Keys.PlainLength); w.Write(Keys.EncryptedLength); w.Write(FileName); w.Write(ContentType); w.Write(CertificatePin);
    });

    public static bool TryDecode(byte[] body, out MediaPointer pointer)
    {
        pointer = null!;
        try
        {
            var r = new MessagePackReader(body);
            if (r.ReadArrayHeader() < 9) return false;
            string url = r.ReadString() ?? "";
            byte[] Bytes(ref MessagePackReader reader) => reader.ReadBytes() is { } b ? System.Buffers.BuffersExtensions.ToArray(b) : [];
            var keys = new MediaKeys(Bytes(ref r), Bytes(ref r), Bytes(ref r), r.ReadInt64(), r.ReadInt64());
            pointer = new MediaPointer(url, keys, Path.GetFileName(r.ReadString() ?? "file"), r.ReadString() ?? "application/octet-stream", Bytes(ref r));
            return keys.MediaKey.Length == 32 && keys.FileSha256.Length == 32 && keys.EncryptedSha256.Length == 32 && Uri.IsWellFormedUriString(url, UriKind.Absolute);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException) { return false; }
    }
}
