using FastChat.Protocol.Frames;

namespace FastChat.Client;

/// <summary>The prekey directory and device lists (protocol-spec/12-prekeys.md, 13-devices.md): publish this device's prekeys and the account's devices, fetch a contact's bundles.</summary>
public sealed partial class FastChatClient
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly ControlRequests _requests = new();

    /// <summary>The server says this device's one-time prekeys run low or its signed prekey is due for rotation.</summary>
    public event Action<PrekeyStatusBody>? PrekeyNotice;

    /// <summary>
    /// Publishes this device's identity key and registration id, a signed prekey (null keeps the
    /// current one) and one-time prekeys to add; the answer says whether they were stored.
    /// </summary>
    public async Task<PrekeyStatusBody> UploadPrekeysAsync(uint registrationId, byte[] identityKey, SignedPrekey? signedPrekey,
        IReadOnlyList<OneTimePrekey> oneTimePrekeys, CancellationToken ct = default) =>
        (PrekeyStatusBody)await RequestAsync(id => new PrekeyUploadBody(id, registrationId, identityKey, signedPrekey, oneTimePrekeys), ct)
            .ConfigureAwait(false);

    /// <summary>One bundle per device of <paramref name="user"/>; each one-time prekey in them is handed out to nobody else.</summary>
    public async Task<PrekeyBundlesBody> FetchPrekeysAsync(string user, CancellationToken ct = default) =>
        (PrekeyBundlesBody)await RequestAsync(id => new PrekeyFetchBody(id, user), ct).ConfigureAwait(false);

    /// <summary>Publishes this account's signed device list (the primary only); the answer says whether it was stored.</summary>
    public async Task<DeviceListStatusBody> PublishDeviceListAsync(SignedDeviceList list, CancellationToken ct = default) =>
        (DeviceListStatusBody)await RequestAsync(id => new DeviceListPublishBody(id, list), ct).ConfigureAwait(false);

    private async Task<object> RequestAsync(Func<ulong, IControlBody> build, CancellationToken ct)
    {
        var writer = _writer ?? throw new InvalidOperationException("Not connected.");
        var (id, answer) = _requests.Start();
        try
        {
            writer.Enqueue(ControlFrames.Encode(build(id)));
            return await answer.WaitAsync(RequestTimeout, ct).ConfigureAwait(false);
        }
        finally { _requests.Forget(id); }
    }

    private void OnPrekeyStatus(PrekeyStatusBody status)
    {
        if (status.RequestId == 0) PrekeyNotice?.Invoke(status);
        else _requests.Complete(status.RequestId, status);
    }
}
