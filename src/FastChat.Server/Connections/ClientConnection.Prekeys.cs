using FastChat.Protocol.Frames;
using FastChat.Server.Prekeys;

namespace FastChat.Server.Connections;

/// <summary>
/// The prekey directory's requests (protocol-spec/12-prekeys.md): PREKEY_UPLOAD from the device
/// itself, answered by PREKEY_STATUS; PREKEY_FETCH of anyone's bundles, answered by PREKEY_BUNDLES.
/// Both wait on the store (and a fetch on the target's home node), so they run as pending requests.
/// </summary>
internal sealed partial class ClientConnection
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private bool QueuePrekeyUpload(ReadOnlySpan<byte> body)
    {
        if (!PrekeyUploadBody.TryParse(body, out var upload)) return Malformed("PREKEY_UPLOAD");
        _pendingRequest = () => UploadPrekeysAsync(upload);
        return true;
    }

    private bool QueuePrekeyFetch(ReadOnlySpan<byte> body)
    {
        if (!PrekeyFetchBody.TryParse(body, out var fetch)) return Malformed("PREKEY_FETCH");
        _pendingRequest = () => FetchPrekeysAsync(fetch);
        return true;
    }

    private async Task UploadPrekeysAsync(PrekeyUploadBody upload)
    {
        if (!_server.PrekeyLimits.TryUpload(Address, out var wait))
        {
            TryWrite(ControlFrames.Encode(new PrekeyStatusBody(upload.RequestId, PrekeyStatusCode.RateLimited, 0, 0, 0, 0,
                $"too many uploads; retry in {Math.Ceiling(wait.TotalSeconds)} s")));
            return;
        }
        var status = await _server.Prekeys.UploadAsync(UserName, _device, upload).ConfigureAwait(false);
        TryWrite(ControlFrames.Encode(status));
    }

    private async Task FetchPrekeysAsync(PrekeyFetchBody fetch)
    {
        PrekeyFetchResult result;
        long retryAfterMs = 0;
        if (!FastChat.Protocol.Wire.UserName.IsValid(fetch.User)) result = new PrekeyFetchResult(Protocol.Frames.PrekeyFetchStatus.UnknownUser, []);
        else if (!_server.PrekeyLimits.TryFetch(UserName, out var wait))
        {
            result = new PrekeyFetchResult(Protocol.Frames.PrekeyFetchStatus.RateLimited, []);
            retryAfterMs = (long)Math.Ceiling(wait.TotalMilliseconds);
        }
        else
        {
            try { result = await _server.PrekeyDirectory.FetchAsync(fetch.User, CancellationToken.None).WaitAsync(FetchTimeout, _server.Clock.Time).ConfigureAwait(false); }
            catch (TimeoutException) { result = PrekeyFetchResult.Unavailable; }
            if (result.Status == Protocol.Frames.PrekeyFetchStatus.Unavailable) retryAfterMs = 1000;
        }
        _server.Metrics.PrekeyFetch(result.Status);
        TryWrite(ControlFrames.Encode(new PrekeyBundlesBody(fetch.RequestId, result.Status, fetch.User, result.Bundles, retryAfterMs, result.DeviceList)));
    }

    /// <summary>After WELCOME: tell a device whose stock is low or whose signed prekey is old.</summary>
    private void SendPrekeyLoginNotice()
    {
        if (_server.Prekeys.LoginNotice(UserName, _device) is { } notice) TryWrite(ControlFrames.Encode(notice));
    }
}
