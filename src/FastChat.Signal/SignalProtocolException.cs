namespace FastChat.Signal;

/// <summary>A Signal Protocol message or state that cannot be used; <see cref="Kind"/> says why.</summary>
public class SignalProtocolException(SignalError kind, string message) : Exception(message)
{
    public SignalError Kind { get; } = kind;
}

public enum SignalError
{
    /// <summary>Malformed bytes, a wrong version, a MAC that does not verify.</summary>
    InvalidMessage,
    /// <summary>The message's key was used already (a redelivery) or has been dropped.</summary>
    DuplicateMessage,
    /// <summary>No session with that address (or none that decrypts the message).</summary>
    NoSession,
    /// <summary>The peer's identity key is not the one trusted for that address.</summary>
    UntrustedIdentity,
    /// <summary>A prekey the message names is unknown (used already, or never ours).</summary>
    InvalidPreKey,
    /// <summary>A bundle whose signed prekey's signature does not verify.</summary>
    InvalidSignature,
    /// <summary>Too far ahead in a chain (a bound on the message keys kept for out-of-order delivery).</summary>
    TooFarAhead,
}
