namespace FastChat.Protocol.Wire;

/// <summary>
/// Frame types. 0x00–0x7F are critical: a receiver that does not know one must fail the
/// connection. 0x80–0xFF are optional: a receiver that does not know one skips it.
/// </summary>
public enum FrameType : byte
{
    Ping = 0x01,
    Pong = 0x02,
    Disconnect = 0x03,
    Error = 0x04,
    Welcome = 0x05,
    Register = 0x06,
    RegisterResult = 0x07,
    Redirect = 0x08,
    Send = 0x10,
    ServerAck = 0x11,
    Deliver = 0x12,
    DeliveryAck = 0x13,
    Read = 0x14,
    SendDevices = 0x15,
    GroupSend = 0x16,
    PrekeyUpload = 0x20,
    PrekeyStatus = 0x21,
    PrekeyFetch = 0x22,
    PrekeyBundles = 0x23,
    DeviceListPublish = 0x24,
    DeviceListStatus = 0x25,
    LinkQuery = 0x26,
    LinkRequests = 0x27,
    LinkDone = 0x28,
    GroupChange = 0x30,
    GroupResult = 0x31,
    GroupQuery = 0x32,
    GroupState = 0x33,
    PresenceSubscribe = 0x40,
    PresenceSettings = 0x41,
    PresenceResult = 0x42,
    Presence = 0x43,
    Typing = 0x44,
    TypingNotice = 0x45,
    MediaUploadRequest = 0x50,
    MediaTicket = 0x51,
}

public static class FrameTypes
{
    public static bool IsOptional(byte type) => type >= 0x80;

    /// <summary>Whether this version defines the type (in any direction or state).</summary>
    public static bool IsKnown(byte type) => Enum.IsDefined((FrameType)type);
}
