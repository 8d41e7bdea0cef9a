using FastChat.Signal.Curve;
using FastChat.Signal.Sessions;

namespace FastChat.Signal.Stores;

/// <summary>What a device keeps for the Signal Protocol: its identity, prekeys, trusted remote identities and sessions.</summary>
public interface ISignalProtocolStore
{
    SignalKeyPair IdentityKeyPair { get; }
    uint RegistrationId { get; }

    /// <summary>True when <paramref name="identity"/> is the key trusted for <paramref name="address"/> (or none is yet: trust on first use).</summary>
    bool IsTrustedIdentity(string address, SignalPublicKey identity);
    /// <summary>Records <paramref name="identity"/> as <paramref name="address"/>'s key (the first one, or one the user accepted).</summary>
    void SaveIdentity(string address, SignalPublicKey identity);

    SessionRecord? LoadSession(string address);
    void StoreSession(string address, SessionRecord record);

    void StorePreKey(uint id, SignalKeyPair pair);
    SignalKeyPair? LoadPreKey(uint id);
    /// <summary>A one-time prekey is used once: a session started with it removes it.</summary>
    void RemovePreKey(uint id);
    void StoreSignedPreKey(uint id, SignalKeyPair pair);
    SignalKeyPair? LoadSignedPreKey(uint id);
}
