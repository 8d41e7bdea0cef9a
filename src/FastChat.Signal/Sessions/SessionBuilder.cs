using FastChat.Signal.Curve;
using FastChat.Signal.Kdf;
using FastChat.Signal.Stores;

namespace FastChat.Signal.Sessions;

/// <summary>
/// X3DH, as libsignal v3 runs it. The secret is 32 bytes of 0xFF, then DH(signed prekey, Alice's
/// identity), DH(Bob's identity, base key), DH(signed prekey, base key) and, when the bundle had
/// one, DH(one-time prekey, base key), each in the order the initiator lists them; HKDF-SHA256
/// with a zero salt and "WhisperText" gives the root key. The initiator then takes one ratchet
/// step against the signed prekey for its sending chain; the responder's first ratchet key is its
/// signed prekey.
/// </summary>
public sealed class SessionBuilder(ISignalProtocolStore store, string address)
{
    /// <summary>Starts a session from the remote's bundle; the next messages are prekey messages until it answers.</summary>
    public void Process(PreKeyBundle bundle)
    {
        if (!store.IsTrustedIdentity(address, bundle.IdentityKey))
            throw new SignalProtocolException(SignalError.UntrustedIdentity, $"{address}'s identity key changed");
        if (!XEdDsa.Verify(bundle.IdentityKey, bundle.SignedPreKey.Serialized, bundle.SignedPreKeySignature))
            throw new SignalProtocolException(SignalError.InvalidSignature, $"{address}'s signed prekey is not signed by its identity key");
        var baseKey = SignalKeyPair.Generate();
        var identity = store.IdentityKeyPair;
        var secret = Secret(
            identity.Agree(bundle.SignedPreKey),
            baseKey.Agree(bundle.IdentityKey),
            baseKey.Agree(bundle.SignedPreKey),
            bundle.PreKey is { } oneTime ? baseKey.Agree(oneTime) : null);
        var state = new SessionState
        {
            RootKey = RootKeyOf(secret),
            OurRatchetKey = SignalKeyPair.Generate(),
            TheirRatchetKey = bundle.SignedPreKey,
            LocalIdentity = identity.PublicKey,
            RemoteIdentity = bundle.IdentityKey,
            RemoteRegistrationId = bundle.RegistrationId,
            BaseKey = baseKey.PublicKey,
            PendingPreKey = new PendingPreKey(bundle.SignedPreKeyId, bundle.PreKeyId, baseKey.PublicKey),
        };
        state.StartSendingChain(bundle.SignedPreKey);
        var record = store.LoadSession(address) ?? new SessionRecord();
        record.Promote(state);
        store.SaveIdentity(address, bundle.IdentityKey);
        store.StoreSession(address, record);
    }

    /// <summary>The responder's side, from a prekey message's header: a new current session in <paramref name="record"/> (none when it has one with that base key already).</summary>
    internal SessionState Accept(SessionRecord record, SignalPublicKey remoteIdentity, SignalPublicKey baseKey, uint signedPreKeyId, uint? preKeyId, uint registrationId)
    {
        if (!store.IsTrustedIdentity(address, remoteIdentity))
            throw new SignalProtocolException(SignalError.UntrustedIdentity, $"{address}'s identity key changed");
        if (record.WithBaseKey(baseKey) is { } existing) return existing; // a repeat of the header: we have not answered yet
        var signedPreKey = store.LoadSignedPreKey(signedPreKeyId)
            ?? throw new SignalProtocolException(SignalError.InvalidPreKey, $"no signed prekey {signedPreKeyId}");
        SignalKeyPair? oneTime = null;
        if (preKeyId is { } id)
            oneTime = store.LoadPreKey(id) ?? throw new SignalProtocolException(SignalError.InvalidPreKey, $"no one-time prekey {id} (used already?)");
        var identity = store.IdentityKeyPair;
        var secret = Secret(
            signedPreKey.Agree(remoteIdentity),
            identity.Agree(baseKey),
            signedPreKey.Agree(baseKey),
            oneTime?.Agree(baseKey));
        var state = new SessionState
        {
            RootKey = RootKeyOf(secret),
            OurRatchetKey = signedPreKey,
            TheirRatchetKey = baseKey,
            LocalIdentity = identity.PublicKey,
            RemoteIdentity = remoteIdentity,
            RemoteRegistrationId = registrationId,
            BaseKey = baseKey,
        };
        record.Promote(state);
        return state;
    }

    private static byte[] Secret(byte[] dh1, byte[] dh2, byte[] dh3, byte[]? dh4)
    {
        var secret = new byte[32 * (dh4 is null ? 4 : 5)];
        secret.AsSpan(0, 32).Fill(0xFF);
        dh1.CopyTo(secret, 32);
        dh2.CopyTo(secret, 64);
        dh3.CopyTo(secret, 96);
        dh4?.CopyTo(secret, 128);
        return secret;
    }

    private static byte[] RootKeyOf(byte[] secret) => SignalKdf.Derive(secret, SignalKdf.ZeroSalt, SignalKdf.WhisperText, 64)[..32];
}
