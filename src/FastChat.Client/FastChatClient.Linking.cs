using FastChat.Protocol.Frames;

namespace FastChat.Client;

/// <summary>
/// Linking devices (protocol-spec/13-devices.md). A new device connects with
/// <see cref="FastChatClientOptions.LinkIdentityKey"/> set, is answered WELCOME link_pending, and
/// waits for LINK_DONE; the primary lists the waiting devices and publishes a list naming one.
/// </summary>
public sealed partial class FastChatClient
{
    private readonly TaskCompletionSource<LinkDoneBody> _linkDone = NewTcs<LinkDoneBody>();

    /// <summary>On a waiting device: completes when the primary has linked it (the server then closes; connect again to sign in).</summary>
    public Task<LinkDoneBody> WaitForLinkAsync(CancellationToken ct = default) => _linkDone.Task.WaitAsync(ct);

    /// <summary>On the primary: the devices waiting to be linked to this account, oldest first.</summary>
    public async Task<IReadOnlyList<LinkRequest>> QueryLinkRequestsAsync(CancellationToken ct = default) =>
        ((LinkRequestsBody)await RequestAsync(id => new LinkQueryBody(id), ct).ConfigureAwait(false)).Requests;
}
