using FastChat.Signal.Curve;
using FastChat.Signal.Sessions;

namespace FastChat.Signal.Stores;

/// <summary>A store in memory (tests, benchmarks, a device that keeps nothing); not thread-safe, like the cipher that uses it.</summary>
public sealed class InMemorySignalProtocolStore(SignalKeyPair identity, uint registrationId) : ISignalProtocolStore, ISenderKeyStore
{
    private readonly Dictionary<(string, Guid), byte[]> _senderKeys = new();
    private readonly Dictionary<string, SignalPublicKey> _identities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SessionRecord> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, SignalKeyPair> _preKeys = new();
    private readonly Dictionary<uint, SignalKeyPair> _signedPreKeys = new();

    public SignalKeyPair IdentityKeyPair { get; } = identity;
    public uint RegistrationId { get; } = registrationId;

    public bool IsTrustedIdentity(string address, SignalPublicKey identity) =>
        !_identities.TryGetValue(address, out var known) || known == identity;

    public void SaveIdentity(string address, SignalPublicKey identity) => _identities[address] = identity;

    public SessionRecord? LoadSession(string address) => _sessions.GetValueOrDefault(address);
    public void StoreSession(string address, SessionRecord record) => _sessions[address] = record;

    public void StorePreKey(uint id, SignalKeyPair pair) => _preKeys[id] = pair;
    public SignalKeyPair? LoadPreKey(uint id) => _preKeys.GetValueOrDefault(id);
    public void RemovePreKey(uint id) => _preKeys.Remove(id);

    public void StoreSignedPreKey(uint id, SignalKeyPair pair) => _signedPreKeys[id] = pair;
    public SignalKeyPair? LoadSignedPreKey(uint id) => _signedPreKeys.GetValueOrDefault(id);

    // Kept serialized, as a real store does: a failed decrypt's changes to a loaded record never stick.
    public Groups.SenderKeyRecord? LoadSenderKey(string sender, Guid distributionId) =>
        _senderKeys.TryGetValue((sender, distributionId), out var bytes) ? Groups.SenderKeyRecord.Deserialize(bytes) : null;

    public void StoreSenderKey(string sender, Guid distributionId, Groups.SenderKeyRecord record) => _senderKeys[(sender, distributionId)] = record.Serialize();
}
