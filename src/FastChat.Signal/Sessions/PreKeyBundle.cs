using FastChat.Signal.Curve;

namespace FastChat.Signal.Sessions;

/// <summary>What a device publishes so others can start a session with it without it being online (X3DH).</summary>
public sealed record PreKeyBundle(
    uint RegistrationId,
    SignalPublicKey IdentityKey,
    uint SignedPreKeyId,
    SignalPublicKey SignedPreKey,
    byte[] SignedPreKeySignature,
    uint? PreKeyId = null,
    SignalPublicKey? PreKey = null);
