using FastChat.Signal.Curve;
using FastChat.Signal.Sessions.Storage;
using Google.Protobuf;

namespace FastChat.Signal.Sessions;

/// <summary>
/// A <see cref="SessionRecord"/> to bytes and back (Protos/SessionStorage.proto), so a client can
/// keep its sessions across restarts. The bytes hold private keys: protect them at rest.
/// </summary>
internal static class SessionRecordStorage
{
    private const uint Version = 1;

    public static byte[] Serialize(SessionRecord record)
    {
        var structure = new RecordStructure { Version = Version };
        if (record.Current is { } current) structure.Current = ToStructure(current);
        structure.Previous.AddRange(record.Previous.Select(ToStructure));
        return structure.ToByteArray();
    }

    public static SessionRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        RecordStructure structure;
        try { structure = RecordStructure.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException ex) { throw new SignalProtocolException(SignalError.InvalidMessage, $"unreadable session record: {ex.Message}"); }
        if (structure.Version != Version) throw new SignalProtocolException(SignalError.InvalidMessage, $"session record version {structure.Version}");
        return SessionRecord.Restore(structure.Current is null ? null : FromStructure(structure.Current), structure.Previous.Select(FromStructure));
    }

    private static SessionStructure ToStructure(SessionState state)
    {
        var s = new SessionStructure
        {
            RootKey = ByteString.CopyFrom(state.RootKey),
            OurRatchetPrivateKey = ByteString.CopyFrom(state.OurRatchetKey.PrivateKey),
            TheirRatchetKey = Bytes(state.TheirRatchetKey),
            PreviousCounter = state.PreviousCounter,
            LocalIdentity = Bytes(state.LocalIdentity),
            RemoteIdentity = Bytes(state.RemoteIdentity),
            RemoteRegistrationId = state.RemoteRegistrationId,
            BaseKey = Bytes(state.BaseKey),
        };
        if (state.SendingChain is { } sending) s.SendingChain = ToStructure(sending);
        s.ReceivingChains.AddRange(state.ReceivingChains.Select(ToStructure));
        if (state.PendingPreKey is { } pending)
        {
            s.PendingPrekey = new PendingPreKeyStructure { SignedPrekeyId = pending.SignedPreKeyId, BaseKey = Bytes(pending.BaseKey) };
            if (pending.PreKeyId is { } id) s.PendingPrekey.PrekeyId = id;
        }
        return s;
    }

    private static ChainStructure ToStructure(ChainState chain)
    {
        var c = new ChainStructure
        {
            RatchetKey = Bytes(chain.RatchetKey),
            ChainKey = chain.ChainKey is null ? ByteString.Empty : ByteString.CopyFrom(chain.ChainKey),
            Counter = chain.Counter,
        };
        c.Skipped.AddRange(chain.SkippedKeys.Select(k => new SkippedKey { Counter = k.Key, MessageKey = ByteString.CopyFrom(k.Value) }));
        return c;
    }

    private static SessionState FromStructure(SessionStructure s)
    {
        var state = new SessionState
        {
            RootKey = s.RootKey.ToByteArray(),
            OurRatchetKey = new SignalKeyPair(s.OurRatchetPrivateKey.Span),
            TheirRatchetKey = Key(s.TheirRatchetKey),
            PreviousCounter = s.PreviousCounter,
            LocalIdentity = Key(s.LocalIdentity),
            RemoteIdentity = Key(s.RemoteIdentity),
            RemoteRegistrationId = s.RemoteRegistrationId,
            BaseKey = Key(s.BaseKey),
            SendingChain = s.SendingChain is null ? null : FromStructure(s.SendingChain),
            PendingPreKey = s.PendingPrekey is { } p ? new PendingPreKey(p.SignedPrekeyId, p.HasPrekeyId ? p.PrekeyId : null, Key(p.BaseKey)) : null,
        };
        state.ReceivingChains.AddRange(s.ReceivingChains.Select(FromStructure));
        return state;
    }

    private static ChainState FromStructure(ChainStructure c)
    {
        var chain = new ChainState(Key(c.RatchetKey), c.ChainKey.IsEmpty ? null : c.ChainKey.ToByteArray()) { Counter = c.Counter };
        foreach (var skipped in c.Skipped) chain.SkippedKeys[skipped.Counter] = skipped.MessageKey.ToByteArray();
        return chain;
    }

    private static ByteString Bytes(SignalPublicKey key) => ByteString.CopyFrom(key.Serialized);

    private static SignalPublicKey Key(ByteString bytes) =>
        SignalPublicKey.TryParse(bytes.Span, out var key) ? key : throw new SignalProtocolException(SignalError.InvalidMessage, "a key in the session record is not a Curve25519 key");
}
