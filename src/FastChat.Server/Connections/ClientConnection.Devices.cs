using FastChat.Protocol.Frames;

namespace FastChat.Server.Connections;

/// <summary>
/// DEVICE_LIST_PUBLISH from the account's primary (protocol-spec/13-devices.md), answered by
/// DEVICE_LIST_STATUS once the list is durable. It shares the prekey uploads' rate bucket: both
/// are key material a device publishes, each a signature check and a durable write.
/// </summary>
internal sealed partial class ClientConnection
{
    private bool QueueDeviceListPublish(ReadOnlySpan<byte> body)
    {
        if (!DeviceListPublishBody.TryParse(body, out var publish)) return Malformed("DEVICE_LIST_PUBLISH");
        _pendingRequest = () => PublishDeviceListAsync(publish);
        return true;
    }

    private async Task PublishDeviceListAsync(DeviceListPublishBody publish)
    {
        if (!_server.PrekeyLimits.TryUpload(Address, out var wait))
        {
            TryWrite(ControlFrames.Encode(new DeviceListStatusBody(publish.RequestId, DeviceListStatusCode.Unavailable, 0,
                $"too many publishes; retry in {Math.Ceiling(wait.TotalSeconds)} s")));
            return;
        }
        if (_device != Protocol.Wire.DeviceAddress.Primary)
        {
            TryWrite(ControlFrames.Encode(new DeviceListStatusBody(publish.RequestId, DeviceListStatusCode.NotPrimary, 0, "only the primary device publishes the account's list")));
            return;
        }
        var published = await _server.DeviceLists.PublishAsync(UserName, publish).ConfigureAwait(false);
        if (published.Current is { } current) ApplyPublishedList(published.Previous, current);
        TryWrite(ControlFrames.Encode(published.Status));
    }
}
