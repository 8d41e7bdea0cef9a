using FastChat.Protocol.Crypto;

namespace FastChat.Signal.Curve;

/// <summary>A Curve25519 key pair: identity keys, prekeys and ratchet keys alike (X25519 agreement; identity keys also sign, with XEdDSA).</summary>
public sealed class SignalKeyPair
{
    private readonly byte[] _private;

    public SignalKeyPair(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32) throw new InvalidKeyException("An X25519 private key is 32 bytes.");
        _private = privateKey.ToArray();
        Span<byte> raw = stackalloc byte[32];
        Sodium.X25519PublicKey(_private, raw);
        PublicKey = SignalPublicKey.FromRaw(raw);
    }

    public SignalPublicKey PublicKey { get; }

    /// <summary>The 32 private bytes (as generated: X25519 and XEdDSA clamp them when used).</summary>
    public ReadOnlySpan<byte> PrivateKey => _private;

    public static SignalKeyPair Generate()
    {
        Span<byte> seed = stackalloc byte[32];
        Sodium.RandomBytes(seed);
        var pair = new SignalKeyPair(seed);
        Sodium.Zero(seed);
        return pair;
    }

    /// <summary>X25519 with <paramref name="theirs"/>; a low-order key (all-zero secret) is refused.</summary>
    public byte[] Agree(SignalPublicKey theirs)
    {
        var secret = new byte[32];
        if (!Sodium.X25519(_private, theirs.Raw, secret)) throw new InvalidKeyException("the peer's key is of low order");
        return secret;
    }

    /// <summary>An XEdDSA signature by this key over <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => XEdDsa.Sign(_private, message);
}
