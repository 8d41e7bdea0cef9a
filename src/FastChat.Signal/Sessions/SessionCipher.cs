using System.Security.Cryptography;
using FastChat.Signal.Curve;
using FastChat.Signal.Kdf;
using FastChat.Signal.Messages;
using FastChat.Signal.Messages.Wire;
using FastChat.Signal.Stores;
using Google.Protobuf;

namespace FastChat.Signal.Sessions;

/// <summary>
/// Encrypts to and decrypts from one remote device with the Double Ratchet, in libsignal's v3
/// formats. Each message key (HMAC(chain key, 0x01)) expands by HKDF ("WhisperMessageKeys") into
/// an AES-256-CBC key, an HMAC-SHA256 key and an IV. Decryption works on a copy of the session
/// and stores it only when the MAC verified, so a forged or replayed message changes nothing.
/// Not thread-safe: one cipher per remote, used by one caller at a time.
/// </summary>
public sealed class SessionCipher(ISignalProtocolStore store, string address)
{
    public CiphertextMessage Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var record = store.LoadSession(address);
        var state = record?.Current ?? throw new SignalProtocolException(SignalError.NoSession, $"no session with {address}");
        if (!store.IsTrustedIdentity(address, state.RemoteIdentity))
            throw new SignalProtocolException(SignalError.UntrustedIdentity, $"{address}'s identity key changed");
        var chain = state.SendingChain ?? throw new SignalProtocolException(SignalError.NoSession, "the session has no sending chain");
        var (messageKey, counter) = chain.TakeNextKey();
        var (cipherKey, macKey, iv) = MessageKeys(messageKey);
        byte[] ciphertext;
        using (var aes = Aes.Create())
        {
            aes.Key = cipherKey;
            ciphertext = aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7);
        }
        var message = new WhisperMessage
        {
            EphemeralKey = ByteString.CopyFrom(state.OurRatchetKey.PublicKey.Serialized),
            Counter = counter,
            PreviousCounter = state.PreviousCounter,
            Ciphertext = ByteString.CopyFrom(ciphertext),
        };
        var body = SignalMessageCodec.EncodeSignalMessage(message, macKey, state.LocalIdentity, state.RemoteIdentity);
        store.StoreSession(address, record);
        if (state.PendingPreKey is not { } pending) return new CiphertextMessage(CiphertextType.Whisper, body);
        var preKeyMessage = new PreKeyWhisperMessage
        {
            RegistrationId = store.RegistrationId,
            SignedPreKeyId = pending.SignedPreKeyId,
            BaseKey = ByteString.CopyFrom(pending.BaseKey.Serialized),
            IdentityKey = ByteString.CopyFrom(state.LocalIdentity.Serialized),
            Message = ByteString.CopyFrom(body),
        };
        if (pending.PreKeyId is { } id) preKeyMessage.PreKeyId = id;
        return new CiphertextMessage(CiphertextType.PreKey, SignalMessageCodec.EncodePreKeyMessage(preKeyMessage));
    }

    public byte[] Decrypt(CiphertextMessage message) => message.Type switch
    {
        CiphertextType.PreKey => DecryptPreKeyMessage(message.Body),
        CiphertextType.Whisper => DecryptMessage(message.Body),
        _ => throw new SignalProtocolException(SignalError.InvalidMessage, $"unknown message type {(int)message.Type}"),
    };

    /// <summary>A prekey message: the first messages of a session the remote started (X3DH on our side), then its content.</summary>
    public byte[] DecryptPreKeyMessage(ReadOnlySpan<byte> body)
    {
        var message = SignalMessageCodec.DecodePreKeyMessage(body);
        if (!SignalPublicKey.TryParse(message.IdentityKey.Span, out var identity) || !SignalPublicKey.TryParse(message.BaseKey.Span, out var baseKey))
            throw new SignalProtocolException(SignalError.InvalidMessage, "a prekey message with a malformed key");
        var record = store.LoadSession(address) ?? new SessionRecord();
        // Build on a copy: nothing is kept (not the session, not the use of the prekey) unless the message decrypts.
        var working = Copy(record);
        var state = new SessionBuilder(store, address).Accept(working, identity, baseKey, message.SignedPreKeyId,
            message.HasPreKeyId ? message.PreKeyId : null, message.RegistrationId);
        var updated = state.Clone();
        var plaintext = DecryptWith(updated, message.Message.Memory);
        working.Replace(state, updated);
        store.SaveIdentity(address, identity);
        store.StoreSession(address, working);
        if (message.HasPreKeyId) store.RemovePreKey(message.PreKeyId);
        return plaintext;
    }

    public byte[] DecryptMessage(ReadOnlySpan<byte> body)
    {
        var record = store.LoadSession(address) ?? throw new SignalProtocolException(SignalError.NoSession, $"no session with {address}");
        var bytes = body.ToArray();
        SignalProtocolException? first = null;
        foreach (var state in record.All().ToList()) // the current session first, then the earlier ones
        {
            var updated = state.Clone();
            try
            {
                var plaintext = DecryptWith(updated, bytes);
                if (!store.IsTrustedIdentity(address, updated.RemoteIdentity))
                    throw new SignalProtocolException(SignalError.UntrustedIdentity, $"{address}'s identity key changed");
                record.Replace(state, updated);
                store.StoreSession(address, record);
                return plaintext;
            }
            catch (SignalProtocolException ex) when (ex.Kind is SignalError.InvalidMessage or SignalError.DuplicateMessage or SignalError.TooFarAhead)
            {
                first ??= ex;
            }
        }
        throw first ?? new SignalProtocolException(SignalError.NoSession, $"no session with {address}");
    }

    private static byte[] DecryptWith(SessionState state, ReadOnlyMemory<byte> body)
    {
        var (message, proto, mac) = SignalMessageCodec.DecodeSignalMessage(body);
        if (!SignalPublicKey.TryParse(message.EphemeralKey.Span, out var ratchetKey))
            throw new SignalProtocolException(SignalError.InvalidMessage, "a message with a malformed ratchet key");
        state.StepRatchet(ratchetKey, message.PreviousCounter);
        var chain = state.ReceivingChainOf(ratchetKey)!;
        chain.FillTo(message.Counter, SessionState.MaxSkippedKeys);
        var messageKey = chain.TakeKey(message.Counter)
            ?? throw new SignalProtocolException(SignalError.DuplicateMessage, $"message {message.Counter}'s key was used already");
        var (cipherKey, macKey, iv) = MessageKeys(messageKey);
        if (!SignalMessageCodec.MacMatches(macKey, state.RemoteIdentity, state.LocalIdentity, proto.Span, mac.Span))
            throw new SignalProtocolException(SignalError.InvalidMessage, "the MAC does not verify");
        byte[] plaintext;
        try
        {
            using var aes = Aes.Create();
            aes.Key = cipherKey;
            plaintext = aes.DecryptCbc(message.Ciphertext.Span, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException) { throw new SignalProtocolException(SignalError.InvalidMessage, "bad padding"); }
        state.PendingPreKey = null; // the remote answered: it has the session
        state.TrimSkippedKeys();
        return plaintext;
    }

    private static (byte[] CipherKey, byte[] MacKey, byte[] Iv) MessageKeys(byte[] messageKey)
    {
        var keys = SignalKdf.Derive(messageKey, SignalKdf.ZeroSalt, SignalKdf.WhisperMessageKeys, 80);
        return (keys[..32], keys[32..64], keys[64..80]);
    }

    private static SessionRecord Copy(SessionRecord record)
    {
        var copy = new SessionRecord();
        foreach (var state in record.All().Reverse()) copy.Promote(state);
        return copy;
    }
}
