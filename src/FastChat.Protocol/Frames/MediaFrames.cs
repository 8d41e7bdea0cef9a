using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

public enum MediaStatusCode
{
    /// <summary>Upload to upload_url, from offset (more than 0 when an earlier upload of it was cut off).</summary>
    Upload = 0,
    /// <summary>The server has this ciphertext already (content-addressed): nothing to upload, download_url is ready.</summary>
    Exists = 1,
    TooLarge = 2,
    QuotaExceeded = 3,
    Unavailable = 4,
    RateLimited = 5,
}

/// <summary>MEDIA_UPLOAD_REQUEST (client → server): <c>[request_id, size, sha256 bin 32]</c> — of the encrypted file it will upload.</summary>
public sealed record MediaUploadRequestBody(ulong RequestId, ulong Size, byte[] Sha256) : IControlBody
{
    public FrameType Type => FrameType.MediaUploadRequest;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(3); w.Write(RequestId); w.Write(Size); w.Write(Sha256); }

    public static bool TryParse(ReadOnlySpan<byte> body, out MediaUploadRequestBody value) =>
        ControlFrames.TryParse(body, 3, out value, (ref MessagePackReader r) => new MediaUploadRequestBody(r.ReadUInt64(), r.ReadUInt64(), PrekeyWire.ReadBytes(ref r, 32)));
}

/// <summary>
/// MEDIA_TICKET (server → client): <c>[request_id, status, upload_url, download_url, offset,
/// expires_ms, cert_sha256 bin (empty or 32), message]</c>. upload_url works until expires_ms;
/// download_url until the blob's own expiry. cert_sha256 pins the media endpoint's TLS certificate
/// when it is self-signed (the chat connection vouches for it); empty means ordinary validation.
/// </summary>
public sealed record MediaTicketBody(ulong RequestId, MediaStatusCode Status, string UploadUrl, string DownloadUrl, ulong Offset, long ExpiresMs,
    byte[] CertificateSha256, string Message) : IControlBody
{
    public FrameType Type => FrameType.MediaTicket;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(8);
        w.Write(RequestId); w.Write((int)Status); w.Write(UploadUrl); w.Write(DownloadUrl); w.Write(Offset); w.Write(ExpiresMs); w.Write(CertificateSha256); w.Write(Message);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out MediaTicketBody value) =>
        ControlFrames.TryParse(body, 8, out value, (ref MessagePackReader r) => new MediaTicketBody(r.ReadUInt64(), (MediaStatusCode)r.ReadInt32(),
            r.ReadString() ?? "", r.ReadString() ?? "", r.ReadUInt64(), r.ReadInt64(), ReadOptionalBytes(ref r), r.ReadString() ?? ""));

    private static byte[] ReadOptionalBytes(ref MessagePackReader r) => r.ReadBytes() is { } bytes ? System.Buffers.BuffersExtensions.ToArray(bytes) : [];
}
