using System.Buffers;
using System.Text;
using FastChat.Protocol.Crypto;

namespace FastChat.Protocol.Noise;

/// <summary>
/// Noise_XX_25519_ChaChaPoly_BLAKE2b handshake, either role:
/// <code>-> e
/// &lt;- e, ee, s, es
/// -> s, se</code>
/// All secrets live in one pooled 352-byte buffer that is zeroed on <see cref="Dispose"/>, so a
/// storm of concurrent handshakes costs no guarded pages and no per-key heap objects.
/// </summary>
public sealed class HandshakeState : IDisposable
{
    private const int K = NoiseConstants.KeyLength;
    private const int SPriv = 0, SPub = 32, EPriv = 64, EPub = 96, Rs = 128, Re = 160, Ck = 192, H = 256, Key = 320, Size = 352;

    private static readonly byte[] InitialHash = BuildInitialHash();

    private byte[]? _buffer;
    private CipherState _cipher;
    private readonly bool _initiator;
    private readonly bool _fixedEphemeral;
    private int _messageIndex;

    /// <param name="initiator">True for the client side.</param>
    /// <param name="prologue">Bound into the handshake hash; both sides must agree.</param>
    /// <param name="staticPrivateKey">This side's 32-byte X25519 private key.</param>
    /// <param name="ephemeralPrivateKey">A key chosen by the caller: test vectors, or the driver that sent message 1 before the prologue was known; normally a fresh random key.</param>
    /// <param name="staticPublicKey">The static key's public half when the caller already has it (a server
    /// handshaking all day): saves one X25519 base-point multiplication per handshake.</param>
    public HandshakeState(bool initiator, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> staticPrivateKey,
        ReadOnlySpan<byte> ephemeralPrivateKey = default, ReadOnlySpan<byte> staticPublicKey = default)
    {
        Sodium.EnsureInitialized();
        _initiator = initiator;
        _buffer = ArrayPool<byte>.Shared.Rent(Size);
        var b = Buffer;
        b.Clear();
        staticPrivateKey.CopyTo(b.Slice(SPriv, K));
        if (staticPublicKey.Length == K) staticPublicKey.CopyTo(b.Slice(SPub, K));
        else Sodium.X25519PublicKey(b.Slice(SPriv, K), b.Slice(SPub, K));
        if (!ephemeralPrivateKey.IsEmpty)
        {
            ephemeralPrivateKey.CopyTo(b.Slice(EPriv, K));
            _fixedEphemeral = true;
        }
        InitialHash.CopyTo(b.Slice(H, NoiseConstants.HashLength));
        InitialHash.CopyTo(b.Slice(Ck, NoiseConstants.HashLength));
        MixHash(prologue);
    }

    private Span<byte> Buffer => _buffer.AsSpan(0, Size);

    public bool IsComplete => _messageIndex == 3;

    /// <summary>Whether the next message is ours to write.</summary>
    public bool IsMyTurn => !IsComplete && (_messageIndex % 2 == 0) == _initiator;

    public ReadOnlySpan<byte> RemoteStaticPublicKey => Buffer.Slice(Rs, K);
    public ReadOnlySpan<byte> LocalStaticPublicKey => Buffer.Slice(SPub, K);
    public ReadOnlySpan<byte> HandshakeHash => Buffer.Slice(H, NoiseConstants.HashLength);

    /// <summary>Bytes a message will take on the wire for a payload of the given length.</summary>
    public int MessageLength(int payloadLength) => _messageIndex switch
    {
        0 => K + payloadLength,
        1 => K + (K + NoiseConstants.TagLength) + payloadLength + NoiseConstants.TagLength,
        2 => (K + NoiseConstants.TagLength) + payloadLength + NoiseConstants.TagLength,
        _ => throw new InvalidOperationException("Handshake already complete."),
    };

    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> output)
    {
        if (!IsMyTurn) throw new InvalidOperationException("Not this side's turn to write.");
        if (MessageLength(payload.Length) > NoiseConstants.MaxMessageLength) throw new ArgumentException("Handshake message too long.");
        var b = Buffer;
        int written = 0;
        switch (_messageIndex)
        {
            case 0: // -> e
                written += WriteEphemeral(output);
                break;
            case 1: // <- e, ee, s, es
                written += WriteEphemeral(output);
                MixDh(b.Slice(EPriv, K), b.Slice(Re, K));
                written += EncryptAndHash(b.Slice(SPub, K), output[written..]);
                MixDh(b.Slice(SPriv, K), b.Slice(Re, K));
                break;
            case 2: // -> s, se
                written += EncryptAndHash(b.Slice(SPub, K), output[written..]);
                MixDh(b.Slice(SPriv, K), b.Slice(Re, K));
                break;
        }
        written += EncryptAndHash(payload, output[written..]);
        _messageIndex++;
        return written;
    }

    /// <summary>Reads a peer message; returns the payload length, or -1 if the message is invalid.</summary>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (IsComplete || IsMyTurn) return -1;
        var b = Buffer;
        int read = 0;
        const int sealedKey = K + NoiseConstants.TagLength;
        switch (_messageIndex)
        {
            case 0: // -> e
                if (message.Length < K) return -1;
                read += ReadEphemeral(message);
                break;
            case 1: // <- e, ee, s, es
                if (message.Length < K + sealedKey + NoiseConstants.TagLength) return -1;
                read += ReadEphemeral(message);
                if (!MixDh(b.Slice(EPriv, K), b.Slice(Re, K))) return -1;
                if (DecryptAndHash(message.Slice(read, sealedKey), b.Slice(Rs, K)) < 0) return -1;
                read += sealedKey;
                if (!MixDh(b.Slice(EPriv, K), b.Slice(Rs, K))) return -1;
                break;
            case 2: // -> s, se
                if (message.Length < sealedKey + NoiseConstants.TagLength) return -1;
                if (DecryptAndHash(message[..sealedKey], b.Slice(Rs, K)) < 0) return -1;
                read += sealedKey;
                if (!MixDh(b.Slice(EPriv, K), b.Slice(Rs, K))) return -1;
                break;
        }
        int payloadLength = DecryptAndHash(message[read..], payload);
        if (payloadLength < 0) return -1;
        _messageIndex++;
        return payloadLength;
    }

    /// <summary>Derives the transport keys. The initiator sends with the first key.</summary>
    public void Split(NoiseTransport transport)
    {
        if (!IsComplete) throw new InvalidOperationException("Handshake not complete.");
        Span<byte> k1 = stackalloc byte[NoiseConstants.HashLength];
        Span<byte> k2 = stackalloc byte[NoiseConstants.HashLength];
        NoiseHash.Hkdf(Buffer.Slice(Ck, NoiseConstants.HashLength), default, k1, k2);
        if (_initiator) transport.Initialize(sendKey: k1[..K], receiveKey: k2[..K]);
        else transport.Initialize(sendKey: k2[..K], receiveKey: k1[..K]);
        Sodium.Zero(k1);
        Sodium.Zero(k2);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is null) return;
        Sodium.Zero(buffer);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private int WriteEphemeral(Span<byte> output)
    {
        var b = Buffer;
        if (!_fixedEphemeral) Sodium.RandomBytes(b.Slice(EPriv, K));
        Sodium.X25519PublicKey(b.Slice(EPriv, K), b.Slice(EPub, K));
        b.Slice(EPub, K).CopyTo(output);
        MixHash(b.Slice(EPub, K));
        return K;
    }

    private int ReadEphemeral(ReadOnlySpan<byte> message)
    {
        var re = Buffer.Slice(Re, K);
        message[..K].CopyTo(re);
        MixHash(re);
        return K;
    }

    private void MixHash(ReadOnlySpan<byte> data)
    {
        var h = Buffer.Slice(H, NoiseConstants.HashLength);
        Span<byte> next = stackalloc byte[NoiseConstants.HashLength];
        Sodium.Blake2b(h, data, default, next);
        next.CopyTo(h);
    }

    /// <summary>MixKey(DH(priv, pub)); false if the peer key is of low order.</summary>
    private bool MixDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        // Our private scalar and the peer's point are both in the buffer; copy the point so
        // the native call never reads a region it also writes.
        Span<byte> shared = stackalloc byte[K];
        bool ok = Sodium.X25519(privateKey, publicKey, shared);
        if (ok) MixKey(shared);
        Sodium.Zero(shared);
        return ok;
    }

    private void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        var b = Buffer;
        Span<byte> ck = stackalloc byte[NoiseConstants.HashLength];
        Span<byte> tempK = stackalloc byte[NoiseConstants.HashLength];
        NoiseHash.Hkdf(b.Slice(Ck, NoiseConstants.HashLength), inputKeyMaterial, ck, tempK);
        ck.CopyTo(b.Slice(Ck, NoiseConstants.HashLength));
        _cipher.InitializeKey(b.Slice(Key, K), tempK[..K]);
        Sodium.Zero(ck);
        Sodium.Zero(tempK);
    }

    private int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        var b = Buffer;
        int n = _cipher.EncryptWithAd(b.Slice(Key, K), b.Slice(H, NoiseConstants.HashLength), plaintext, output);
        MixHash(output[..n]);
        return n;
    }

    private int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        var b = Buffer;
        int n = _cipher.DecryptWithAd(b.Slice(Key, K), b.Slice(H, NoiseConstants.HashLength), ciphertext, output);
        if (n < 0) return -1;
        MixHash(ciphertext);
        return n;
    }

    private static byte[] BuildInitialHash()
    {
        var name = Encoding.ASCII.GetBytes(NoiseConstants.ProtocolName);
        var h = new byte[NoiseConstants.HashLength];
        if (name.Length <= h.Length) name.CopyTo(h, 0);
        else Sodium.Blake2b(name, default, default, h);
        return h;
    }
}
