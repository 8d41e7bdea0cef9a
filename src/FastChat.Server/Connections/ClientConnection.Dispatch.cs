using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Delivery;
using FastChat.Server.Routing;

namespace FastChat.Server.Connections;

internal sealed partial class ClientConnection
{
    /// <summary>Handles one frame; false when the connection must close.</summary>
    private bool Dispatch(in Frame frame)
    {
        switch ((FrameType)frame.Type)
        {
            case FrameType.Ping:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong token)) return Malformed("PING");
                Span<byte> pong = stackalloc byte[MessageFrames.U64FrameLength];
                MessageFrames.WriteU64(pong, FrameType.Pong, token);
                return TryWrite(pong);
            case FrameType.Pong:
                return MessageFrames.TryParseU64(frame.Body, out _) || Malformed("PONG");
            case FrameType.Disconnect:
                Close(ErrorCode.ClientClosing, "bye");
                return false;
            case FrameType.Register when _state == ConnectionState.Registering:
                return QueueRegister(frame.Body);
            case FrameType.Send or FrameType.SendDevices or FrameType.GroupSend or FrameType.DeliveryAck or FrameType.Read or FrameType.PrekeyUpload or FrameType.PrekeyFetch
                or FrameType.DeviceListPublish or FrameType.LinkQuery or FrameType.GroupChange or FrameType.GroupQuery
                or FrameType.PresenceSubscribe or FrameType.PresenceSettings or FrameType.Typing or FrameType.MediaUploadRequest when _state != ConnectionState.Authenticated:
                Close(ErrorCode.NotAuthenticated, _state == ConnectionState.Linking ? "this device is not linked yet" : "register first");
                return false;
            case FrameType.Send:
                return HandleSend(frame.Body);
            case FrameType.SendDevices:
                return HandleSendDevices(frame.Body);
            case FrameType.GroupSend:
                return HandleGroupSend(frame.Body);
            case FrameType.Read:
                return HandleRead(frame.Body);
            case FrameType.DeliveryAck:
                return HandleDeliveryAck(frame.Body);
            case FrameType.PrekeyUpload:
                return QueuePrekeyUpload(frame.Body);
            case FrameType.PrekeyFetch:
                return QueuePrekeyFetch(frame.Body);
            case FrameType.DeviceListPublish:
                return QueueDeviceListPublish(frame.Body);
            case FrameType.LinkQuery:
                return HandleLinkQuery(frame.Body);
            case FrameType.GroupChange:
                return QueueGroupChange(frame.Body);
            case FrameType.GroupQuery:
                return HandleGroupQuery(frame.Body);
            case FrameType.Typing:
                return HandleTyping(frame.Body);
            case FrameType.PresenceSubscribe:
                return HandlePresenceSubscribe(frame.Body);
            case FrameType.PresenceSettings:
                return QueuePresenceSettings(frame.Body);
            case FrameType.MediaUploadRequest:
                return QueueMediaUpload(frame.Body);
            default:
                if (FrameTypes.IsOptional(frame.Type)) return true;
                // A known type in the wrong state (REGISTER after login, a server-only type) is the
                // client's mistake; only a type this version does not define is unknown_frame.
                if (FrameTypes.IsKnown(frame.Type)) Close(ErrorCode.ProtocolError, $"{(FrameType)frame.Type} is not valid in this state");
                else Close(ErrorCode.UnknownFrame, $"unknown critical frame type 0x{frame.Type:x2}");
                return false;
        }
    }

    private bool HandleSend(ReadOnlySpan<byte> body)
    {
        if (!MessageFrames.TryParseSend(body, out ulong messageId, out var to, out var payload)) return Malformed("SEND");
        if (messageId <= _ledger.HighWater) return Retried(messageId);
        if (payload.Length > _server.Options.MaxPayloadBytes) return Refuse(ErrorCode.PayloadTooLarge, messageId);
        if (!FastChat.Protocol.Wire.UserName.IsValid(to)) return Refuse(ErrorCode.InvalidUserName, messageId, "recipient is not a valid user name");
        var request = new RouteRequest(to, DeliveryKind.Message, messageId, _addressBytes, Address, payload);
        return Routed(_server.Router.Route(request, this, messageId), messageId);
    }

    /// <summary>One message as a copy per device of the recipient; the recipient's home checks the set against its list.</summary>
    private bool HandleSendDevices(ReadOnlySpan<byte> body)
    {
        if (!DeviceCopyFrames.TryParseSendDevices(body, out ulong messageId, out var to, out var copies)) return Malformed("SEND_DEVICES");
        Span<byte> devices = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        if (!DeviceCopyFrames.TryReadCopies(copies, out _, devices, out _)) return Malformed("SEND_DEVICES");
        if (messageId <= _ledger.HighWater) return Retried(messageId);
        if (copies.Length > _server.Options.MaxPayloadBytes) return Refuse(ErrorCode.PayloadTooLarge, messageId, "the copies together are larger than the server's maximum payload");
        if (!FastChat.Protocol.Wire.UserName.IsValid(to)) return Refuse(ErrorCode.InvalidUserName, messageId, "recipient is not a valid user name");
        var request = new RouteRequest(to, DeliveryKind.DeviceCopies, messageId, _addressBytes, Address, copies);
        return Routed(_server.Router.Route(request, this, messageId), messageId);
    }

    private bool HandleRead(ReadOnlySpan<byte> body)
    {
        if (!MessageFrames.TryParseRead(body, out ulong messageId, out var peer, out ulong readId, out var group)) return Malformed("READ");
        if (messageId <= _ledger.HighWater) return Retried(messageId);
        if (!DeviceAddress.TryParse(peer, out _, out _)) return Refuse(ErrorCode.InvalidUserName, messageId, "peer is not a valid user name or device address");
        var request = new RouteRequest(peer, DeliveryKind.ReadReceipt, readId, _addressBytes, Address, group);
        return Routed(_server.Router.Route(request, this, messageId), messageId);
    }

    [ThreadStatic] private static List<(string Peer, ulong MessageId, byte[]? Group)>? t_receipts;

    private bool HandleDeliveryAck(ReadOnlySpan<byte> body)
    {
        if (!MessageFrames.TryParseU64(body, out ulong upTo)) return Malformed("DELIVERY_ACK");
        var receipts = t_receipts ??= new List<(string, ulong, byte[]?)>();
        var status = _server.Queues.Acknowledge(this, _addressBytes, upTo, receipts);
        // ✓✓ for each sender, through the same router as messages (best effort, like before: a full queue drops it).
        Span<byte> peer = stackalloc byte[DeviceAddress.MaxLength];
        foreach (var (peerName, messageId, group) in receipts)
        {
            int n = System.Text.Encoding.ASCII.GetBytes(peerName, peer);
            _server.Router.Route(new RouteRequest(peer[..n], DeliveryKind.DeliveredReceipt, messageId, _addressBytes, Address, group), null, 0);
        }
        receipts.Clear();
        if (status != AckStatus.BeyondDelivered) return true;
        Close(ErrorCode.ProtocolError, "DELIVERY_ACK beyond what was delivered");
        return false;
    }

    private bool Malformed(string what)
    {
        Close(ErrorCode.ProtocolError, $"malformed {what} frame");
        return false;
    }

    private bool WriteError(ErrorCode code, ulong refId, string message)
    {
        _server.Metrics.Error(code);
        return TryWrite(ControlFrames.Encode(new ErrorBody(code, refId, message)));
    }
}
