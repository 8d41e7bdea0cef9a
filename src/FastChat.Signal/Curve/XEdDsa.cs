using System.Numerics;
using System.Security.Cryptography;

namespace FastChat.Signal.Curve;

/// <summary>
/// Signatures by Curve25519 (X25519) keys, as libsignal makes and checks them ("curve25519_sign",
/// Trevor Perrin's XEdDSA in its original form): the clamped X25519 private scalar a signs as an
/// Ed25519 key with public point A = aB, and the sign bit of A, which the Montgomery u-coordinate
/// does not carry, travels in the signature's top bit. To check, A is recovered from u
/// (y = (u − 1)/(u + 1)) with that sign bit, and the rest is a standard Ed25519 verification.
/// The nonce is deterministic: r = SHA-512(a ‖ M), as curve25519-js (libsignal-node) computes it.
/// </summary>
public static class XEdDsa
{
    public const int SignatureLength = 64;
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    public static byte[] Sign(ReadOnlySpan<byte> x25519PrivateKey, ReadOnlySpan<byte> message)
    {
        if (x25519PrivateKey.Length != 32) throw new InvalidKeyException("An X25519 private key is 32 bytes.");
        Span<byte> a = stackalloc byte[32];
        x25519PrivateKey.CopyTo(a);
        a[0] &= 248; a[31] &= 127; a[31] |= 64; // the scalar X25519 uses
        Span<byte> wide = stackalloc byte[64];
        Span<byte> aReduced = stackalloc byte[32];
        wide.Clear();
        a.CopyTo(wide);
        SodiumEd25519.Reduce(wide, aReduced);
        Span<byte> publicPoint = stackalloc byte[32];
        SodiumEd25519.ScalarMultBase(aReduced, publicPoint);
        byte signBit = (byte)(publicPoint[31] & 0x80);

        // r = SHA-512(a ‖ M) mod L; R = rB
        var signature = new byte[SignatureLength];
        Span<byte> r = stackalloc byte[32];
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
        {
            hash.AppendData(a);
            hash.AppendData(message);
            hash.GetHashAndReset(wide);
        }
        SodiumEd25519.Reduce(wide, r);
        SodiumEd25519.ScalarMultBase(r, signature.AsSpan(0, 32));
        // h = SHA-512(R ‖ A ‖ M) mod L; S = h·a + r
        Span<byte> h = stackalloc byte[32];
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
        {
            hash.AppendData(signature.AsSpan(0, 32));
            hash.AppendData(publicPoint);
            hash.AppendData(message);
            hash.GetHashAndReset(wide);
        }
        SodiumEd25519.Reduce(wide, h);
        SodiumEd25519.MultiplyAdd(h, aReduced, r, signature.AsSpan(32));
        signature[63] |= signBit; // S < 2^253: its top bit is free
        a.Clear(); aReduced.Clear(); r.Clear(); wide.Clear();
        return signature;
    }

    public static bool Verify(SignalPublicKey key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Verify(key.Raw, message, signature);

    /// <summary>Checks a signature by the X25519 public key <paramref name="u"/> (32 bytes).</summary>
    public static bool Verify(ReadOnlySpan<byte> u, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (u.Length != 32 || signature.Length != SignatureLength) return false;
        Span<byte> edwards = stackalloc byte[32];
        MontgomeryToEdwardsY(u, edwards);
        edwards[31] |= (byte)(signature[63] & 0x80);
        Span<byte> plain = stackalloc byte[SignatureLength];
        signature.CopyTo(plain);
        plain[63] &= 0x7F;
        return SodiumEd25519.Verify(plain, message, edwards);
    }

    /// <summary>y = (u − 1)/(u + 1) mod p, little-endian, from the u-coordinate with its top bit ignored.</summary>
    private static void MontgomeryToEdwardsY(ReadOnlySpan<byte> u, Span<byte> y)
    {
        Span<byte> masked = stackalloc byte[32];
        u.CopyTo(masked);
        masked[31] &= 0x7F;
        var x = new BigInteger(masked, isUnsigned: true, isBigEndian: false);
        var numerator = ((x - 1) % P + P) % P;
        var inverse = BigInteger.ModPow((x + 1) % P, P - 2, P); // 0 for u = −1, as curve25519-js gives
        var value = numerator * inverse % P;
        y.Clear();
        value.TryWriteBytes(y, out _, isUnsigned: true, isBigEndian: false);
    }
}
