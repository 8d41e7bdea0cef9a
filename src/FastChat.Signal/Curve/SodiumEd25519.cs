using System.Runtime.InteropServices;
using FastChat.Protocol.Crypto;

namespace FastChat.Signal.Curve;

/// <summary>libsodium's Ed25519 group and scalar operations, which XEdDSA signs with (NSec exposes none of them).</summary>
internal static unsafe partial class SodiumEd25519
{
    private const string Lib = "libsodium";
    public const int ScalarSize = 32;

    static SodiumEd25519() => Sodium.EnsureInitialized();

    [LibraryImport(Lib)] private static partial int crypto_scalarmult_ed25519_base_noclamp(byte* q, byte* n);
    [LibraryImport(Lib)] private static partial void crypto_core_ed25519_scalar_reduce(byte* r, byte* s);
    [LibraryImport(Lib)] private static partial void crypto_core_ed25519_scalar_mul(byte* z, byte* x, byte* y);
    [LibraryImport(Lib)] private static partial void crypto_core_ed25519_scalar_add(byte* z, byte* x, byte* y);
    [LibraryImport(Lib)] private static partial int crypto_sign_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    /// <summary>The compressed point <paramref name="scalar"/>·B (any 32-byte scalar, used as given).</summary>
    public static void ScalarMultBase(ReadOnlySpan<byte> scalar, Span<byte> point)
    {
        fixed (byte* n = scalar) fixed (byte* q = point)
            if (crypto_scalarmult_ed25519_base_noclamp(q, n) != 0) throw new CryptoFailureException("Ed25519 base multiplication gave the identity.");
    }

    /// <summary>A 64-byte little-endian number reduced modulo the group order.</summary>
    public static void Reduce(ReadOnlySpan<byte> wide, Span<byte> scalar)
    {
        if (wide.Length != 64 || scalar.Length != ScalarSize) throw new ArgumentException("Reduce takes 64 bytes to 32.");
        fixed (byte* s = wide) fixed (byte* r = scalar) crypto_core_ed25519_scalar_reduce(r, s);
    }

    /// <summary><paramref name="result"/> = <paramref name="x"/>·<paramref name="y"/> + <paramref name="z"/> modulo the group order.</summary>
    public static void MultiplyAdd(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> z, Span<byte> result)
    {
        Span<byte> product = stackalloc byte[ScalarSize];
        fixed (byte* px = x) fixed (byte* py = y) fixed (byte* pz = z) fixed (byte* pp = product) fixed (byte* pr = result)
        {
            crypto_core_ed25519_scalar_mul(pp, px, py);
            crypto_core_ed25519_scalar_add(pr, pp, pz);
        }
    }

    /// <summary>A standard Ed25519 signature check (libsodium rejects non-canonical and small-order encodings).</summary>
    public static bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> publicKey)
    {
        if (signature.Length != 64 || publicKey.Length != 32) return false;
        fixed (byte* s = signature) fixed (byte* m = message) fixed (byte* k = publicKey)
            return crypto_sign_verify_detached(s, m, (ulong)message.Length, k) == 0;
    }
}
