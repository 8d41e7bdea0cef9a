using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.DeviceLists;

namespace FastChat.Server.Connections;

/// <summary>
/// Linking a new device (protocol-spec/13-devices.md). The new device's connection proved its
/// Noise key in the handshake and offered its identity key in ClientHello; it waits here as a
/// link request until the primary publishes a list naming it (LINK_DONE, then DISCONNECT: it signs
/// in again as that device), or the link timeout. The primary asks for the waiting requests with
/// LINK_QUERY and finds the one whose keys hash to the code the user typed.
/// </summary>
internal sealed partial class ClientConnection : ILinkWaiter
{
    private LinkRequest? _linkRequest; // only while LINKING

    public LinkRequest Request => _linkRequest!;

    private bool WaitForLink(ReadOnlySpan<byte> noiseKey, byte[] identityKey)
    {
        _linkRequest = new LinkRequest(noiseKey.ToArray(), identityKey, NowMs);
        _state = ConnectionState.Linking;
        if (!_server.PendingLinks.TryAdd(this))
        {
            Close(ErrorCode.RateLimited, "too many devices are waiting to be linked to this account; try again later");
            return false;
        }
        TryWrite(ControlFrames.Encode(new WelcomeBody(WelcomeState.LinkPending, UserName, NowMs, 0)));
        return true;
    }

    public void Linked(byte deviceId, ulong generation)
    {
        TryWrite(ControlFrames.Encode(new LinkDoneBody(deviceId, generation)));
        Close(ErrorCode.None, $"linked as device {deviceId}; sign in again");
    }

    private bool HandleLinkQuery(ReadOnlySpan<byte> body)
    {
        if (!LinkQueryBody.TryParse(body, out var query)) return Malformed("LINK_QUERY");
        if (_device != DeviceAddress.Primary)
        {
            Close(ErrorCode.ProtocolError, "only the account's primary device links devices");
            return false;
        }
        return TryWrite(ControlFrames.Encode(new LinkRequestsBody(query.RequestId, _server.PendingLinks.For(UserName))));
    }

    /// <summary>A published list took effect: waiting devices it names are told; devices it dropped lose their queue, prekeys and connection.</summary>
    private void ApplyPublishedList(DeviceList? previous, DeviceList current)
    {
        _server.PendingLinks.Published(current);
        if (previous is null) return;
        foreach (var device in previous.Devices)
        {
            if (current.Find(device.DeviceId) is { } kept && kept.NoiseKey.AsSpan().SequenceEqual(device.NoiseKey)) continue;
            var address = System.Text.Encoding.ASCII.GetBytes(DeviceAddress.Format(UserName, device.DeviceId));
            var connected = _server.Queues.Purge(address);
            _server.Prekeys.Remove(UserName, device.DeviceId);
            connected?.Removed();
        }
    }

    private void StopWaitingForLink()
    {
        if (_linkRequest is not null) _server.PendingLinks.Remove(this);
    }
}
