using FastChat.Protocol.Frames;

namespace FastChat.Client;

/// <summary>Media tickets (protocol-spec/16-media.md); the transfers themselves are <see cref="Media.MediaTransfer"/>'s.</summary>
public sealed partial class FastChatClient
{
    /// <summary>An upload ticket for an encrypted file of <paramref name="size"/> bytes whose SHA-256 is <paramref name="sha256"/>.</summary>
    public async Task<MediaTicketBody> RequestMediaUploadAsync(ulong size, byte[] sha256, CancellationToken ct = default) =>
        (MediaTicketBody)await RequestAsync(id => new MediaUploadRequestBody(id, size, sha256), ct).ConfigureAwait(false);
}
