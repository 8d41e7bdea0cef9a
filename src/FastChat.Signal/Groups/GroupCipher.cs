using System.Security.Cryptography;
using FastChat.Signal.Curve;
using FastChat.Signal.Groups.Wire;
using FastChat.Signal.Stores;

namespace FastChat.Signal.Groups;

/// <summary>
/// Sender keys, libsignal's group cipher: a member makes a chain for a distribution (a group),
/// sends its SenderKeyDistributionMessage to every other member over their pairwise sessions, then
/// encrypts each group message once (AES-256-CBC under the chain's message key, signed with the
/// chain's signing key); every member who processed the distribution decrypts it. Interoperable
/// with @signalapp/libsignal-client's <c>SenderKeyDistributionMessage.create</c>,
/// <c>processSenderKeyDistributionMessage</c>, <c>groupEncrypt</c> and <c>groupDecrypt</c>.
/// </summary>
public static class GroupCipher
{
    /// <summary>How far ahead of its chain a message may be (libsignal's bound).</summary>
    public const int MaxForwardJumps = 25_000;

    /// <summary>This device's distribution message for <paramref name="distributionId"/>, making its chain first if it has none.</summary>
    /// <param name="sender">This device's own Signal address.</param>
    public static byte[] CreateDistributionMessage(ISenderKeyStore store, string sender, Guid distributionId)
    {
        var record = store.LoadSenderKey(sender, distributionId);
        if (record?.Current is null)
        {
            record = new SenderKeyRecord();
            var signing = SignalKeyPair.Generate();
            uint chainId = (uint)RandomNumberGenerator.GetInt32(int.MaxValue); // 31 bits, as libsignal
            record.AddState(Messages.SignalMessageCodec.Version, chainId, 0, RandomNumberGenerator.GetBytes(32), signing.PublicKey, signing.PrivateKey);
            store.StoreSenderKey(sender, distributionId, record);
        }
        var state = record.Current!;
        return SenderKeyCodec.EncodeDistribution(new SenderKeyDistributionMessage
        {
            DistributionUuid = SenderKeyCodec.Uuid(distributionId),
            ChainId = state.ChainId,
            Iteration = state.Iteration,
            ChainKey = state.ChainKey,
            SigningKey = state.SigningPublic,
        });
    }

    /// <summary>Takes in <paramref name="sender"/>'s chain from its distribution message (which arrived over a pairwise session).</summary>
    /// <returns>The distribution id it is for.</returns>
    public static Guid ProcessDistributionMessage(ISenderKeyStore store, string sender, ReadOnlySpan<byte> distribution)
    {
        var message = SenderKeyCodec.DecodeDistribution(distribution);
        var distributionId = SenderKeyCodec.Uuid(message.DistributionUuid);
        var record = store.LoadSenderKey(sender, distributionId) ?? new SenderKeyRecord();
        record.AddState(Messages.SignalMessageCodec.Version, message.ChainId, message.Iteration, message.ChainKey.Span,
            SignalPublicKey.Parse(message.SigningKey.Span), default);
        store.StoreSenderKey(sender, distributionId, record);
        return distributionId;
    }

    /// <summary>Encrypts one group message with this device's chain (<see cref="CreateDistributionMessage"/> first).</summary>
    public static byte[] Encrypt(ISenderKeyStore store, string sender, Guid distributionId, ReadOnlySpan<byte> plaintext)
    {
        var record = store.LoadSenderKey(sender, distributionId);
        if (record?.Current is not { } state || state.SigningPrivate.IsEmpty)
            throw new SignalProtocolException(SignalError.NoSession, $"no sender key of ours for distribution {distributionId}");
        var chain = SenderKeyRecord.ChainKeyOf(state);
        var key = chain.MessageKey();
        byte[] ciphertext;
        using (var aes = Aes.Create())
        {
            aes.Key = key.CipherKey;
            ciphertext = aes.EncryptCbc(plaintext, key.Iv, PaddingMode.PKCS7);
        }
        var bytes = SenderKeyCodec.EncodeMessage(new SenderKeyMessage
        {
            DistributionUuid = SenderKeyCodec.Uuid(distributionId),
            ChainId = state.ChainId,
            Iteration = key.Iteration,
            Ciphertext = Google.Protobuf.ByteString.CopyFrom(ciphertext),
        }, new SignalKeyPair(state.SigningPrivate.Span));
        SenderKeyRecord.SetChainKey(state, chain.Next());
        store.StoreSenderKey(sender, distributionId, record);
        return bytes;
    }

    /// <summary>Decrypts a group message from <paramref name="sender"/>; out-of-order ones within the bounds too, each once.</summary>
    public static byte[] Decrypt(ISenderKeyStore store, string sender, ReadOnlyMemory<byte> message)
    {
        var (skm, signed, signature) = SenderKeyCodec.DecodeMessage(message);
        var distributionId = SenderKeyCodec.Uuid(skm.DistributionUuid);
        var record = store.LoadSenderKey(sender, distributionId)
            ?? throw new SignalProtocolException(SignalError.NoSession, $"no sender key from {sender} for distribution {distributionId}");
        var state = record.ForChain(skm.ChainId)
            ?? throw new SignalProtocolException(SignalError.NoSession, $"no sender key chain {skm.ChainId} from {sender}");
        if (!XEdDsa.Verify(SignalPublicKey.Parse(state.SigningPublic.Span), signed.Span, signature.Span))
            throw new SignalProtocolException(SignalError.InvalidSignature, "the group message's signature does not verify");
        var key = MessageKeyFor(state, skm.Iteration);
        byte[] plaintext;
        try
        {
            using var aes = Aes.Create();
            aes.Key = key.CipherKey;
            plaintext = aes.DecryptCbc(skm.Ciphertext.Span, key.Iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException) { throw new SignalProtocolException(SignalError.InvalidMessage, "the group message does not decrypt"); }
        store.StoreSenderKey(sender, distributionId, record);
        return plaintext;
    }

    private static SenderMessageKey MessageKeyFor(SenderKeyStateStructure state, uint iteration)
    {
        var chain = SenderKeyRecord.ChainKeyOf(state);
        if (chain.Iteration > iteration)
            return SenderKeyRecord.TakeMessageKey(state, iteration)
                ?? throw new SignalProtocolException(SignalError.DuplicateMessage, $"group message {iteration} was read already (or its key was dropped)");
        if (iteration - chain.Iteration > MaxForwardJumps)
            throw new SignalProtocolException(SignalError.TooFarAhead, "the group message is too far ahead of its chain");
        while (chain.Iteration < iteration)
        {
            SenderKeyRecord.AddMessageKey(state, chain.MessageKey());
            chain = chain.Next();
        }
        SenderKeyRecord.SetChainKey(state, chain.Next());
        return chain.MessageKey();
    }
}
