namespace FastChat.Protocol.Wire;

/// <summary>Codes carried by ERROR and DISCONNECT frames; protocol-spec/06-errors.md documents each.</summary>
public enum ErrorCode : ushort
{
    None = 0,
    ProtocolError = 1,
    UnsupportedVersion = 2,
    HandshakeFailed = 3,
    HandshakeTimeout = 4,
    NotAuthenticated = 5,
    AuthFailed = 6,
    RegistrationFailed = 7,
    UnknownFrame = 10,
    FrameTooLarge = 11,
    PayloadTooLarge = 12,
    UnknownRecipient = 13,
    QueueFull = 14,
    BadMessageId = 15,
    RateLimited = 16,
    SlowReader = 17,
    IdleTimeout = 18,
    Replaced = 19,
    ServerShutdown = 20,
    InternalError = 21,
    InvalidUserName = 22,
    DecryptFailed = 23,
    ClientClosing = 24,
    Redirect = 25,
    Unavailable = 26,
    StaleDevices = 27,
    DeviceRemoved = 28,
}
