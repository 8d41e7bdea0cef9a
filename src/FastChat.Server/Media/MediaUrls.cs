namespace FastChat.Server.Media;

/// <summary>Signed upload and download URLs on the endpoint's public base (protocol-spec/16-media.md).</summary>
internal sealed class MediaUrls(MediaSigner signer, string publicBase)
{
    public string PublicBase { get; } = publicBase.TrimEnd('/');

    public string Upload(string blobId, string user, ulong size, long expiresMs) =>
        $"{PublicBase}/v1/upload/{blobId}?u={Uri.EscapeDataString(user)}&n={size}&e={expiresMs}&s={signer.SignUpload(blobId, user, size, expiresMs)}";

    public string Download(string blobId, long expiresMs) => $"{PublicBase}/v1/blob/{blobId}?e={expiresMs}&s={signer.SignDownload(blobId, expiresMs)}";
}
