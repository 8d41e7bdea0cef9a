using System.Runtime.InteropServices;

namespace FastChat.Protocol.Crypto;

/// <summary>
/// Stateless libsodium calls on caller-owned buffers. libsodium's native library ships with
/// NSec.Cryptography's dependency; we call it directly so per-connection and per-handshake key
/// material lives in plain 32-byte buffers instead of guarded-page NSec <c>Key</c> objects
/// (~9 KB RSS and two memory mappings each).
/// </summary>
public static unsafe partial class Sodium
{
    private const string Lib = "libsodium";

    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;
    public const int HashSize = 64;

    static Sodium()
    {
        if (sodium_init() < 0)
            throw new InvalidOperationException("libsodium failed to initialise.");
    }

    /// <summary>Forces the static constructor (and so sodium_init) to run.</summary>
    public static void EnsureInitialized() { }

    [LibraryImport(Lib)] private static partial int sodium_init();
    [LibraryImport(Lib)] private static partial void randombytes_buf(byte* buf, nuint size);
    [LibraryImport(Lib)] private static partial void sodium_memzero(byte* pnt, nuint len);
    [LibraryImport(Lib)] private static partial int crypto_scalarmult(byte* q, byte* n, byte* p);
    [LibraryImport(Lib)] private static partial int crypto_scalarmult_base(byte* q, byte* n);
    [LibraryImport(Lib)] private static partial nuint crypto_generichash_statebytes();
    [LibraryImport(Lib)] private static partial int crypto_generichash_init(byte* state, byte* key, nuint keylen, nuint outlen);
    [LibraryImport(Lib)] private static partial int crypto_generichash_update(byte* state, byte* input, ulong inlen);
    [LibraryImport(Lib)] private static partial int crypto_generichash_final(byte* state, byte* output, nuint outlen);

    [LibraryImport(Lib)]
    private static partial int crypto_aead_chacha20poly1305_ietf_encrypt(
        byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(Lib)]
    private static partial int crypto_aead_chacha20poly1305_ietf_decrypt(
        byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    private static readonly int HashStateSize = (int)crypto_generichash_statebytes();

    public static void RandomBytes(Span<byte> buffer)
    {
        fixed (byte* p = buffer) randombytes_buf(p, (nuint)buffer.Length);
    }

    public static void Zero(Span<byte> buffer)
    {
        fixed (byte* p = buffer) sodium_memzero(p, (nuint)buffer.Length);
    }

    /// <summary>X25519 public key of a private scalar.</summary>
    public static void X25519PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        CheckLength(privateKey.Length, KeySize);
        CheckLength(publicKey.Length, KeySize);
        fixed (byte* n = privateKey)
        fixed (byte* q = publicKey)
            if (crypto_scalarmult_base(q, n) != 0) throw new CryptoFailureException("X25519 base multiplication failed.");
    }

    /// <summary>X25519 Diffie-Hellman. Returns false for a low-order peer key (all-zero output).</summary>
    public static bool X25519(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        CheckLength(privateKey.Length, KeySize);
        CheckLength(peerPublicKey.Length, KeySize);
        CheckLength(sharedSecret.Length, KeySize);
        fixed (byte* n = privateKey)
        fixed (byte* p = peerPublicKey)
        fixed (byte* q = sharedSecret)
            return crypto_scalarmult(q, n, p) == 0;
    }

    /// <summary>Unkeyed BLAKE2b-512 of the concatenation of up to three inputs.</summary>
    public static void Blake2b(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, Span<byte> output)
    {
        CheckLength(output.Length, HashSize);
        // libsodium wants the state 64-byte aligned.
        byte* raw = stackalloc byte[HashStateSize + 64];
        byte* state = (byte*)(((nuint)raw + 63) & ~(nuint)63);
        crypto_generichash_init(state, null, 0, HashSize);
        fixed (byte* pa = a) crypto_generichash_update(state, pa, (ulong)a.Length);
        fixed (byte* pb = b) crypto_generichash_update(state, pb, (ulong)b.Length);
        fixed (byte* pc = c) crypto_generichash_update(state, pc, (ulong)c.Length);
        fixed (byte* o = output) crypto_generichash_final(state, o, HashSize);
        sodium_memzero(state, (nuint)HashStateSize);
    }

    /// <summary>ChaCha20-Poly1305 (IETF) encrypt; <paramref name="ciphertext"/> is plaintext length + 16.</summary>
    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad,
        ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        CheckLength(key.Length, KeySize);
        CheckLength(nonce.Length, NonceSize);
        CheckLength(ciphertext.Length, plaintext.Length + TagSize);
        ulong clen;
        fixed (byte* k = key) fixed (byte* n = nonce) fixed (byte* a = ad)
        fixed (byte* m = plaintext) fixed (byte* c = ciphertext)
            crypto_aead_chacha20poly1305_ietf_encrypt(c, &clen, m, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, k);
    }

    /// <summary>ChaCha20-Poly1305 (IETF) decrypt; false when the tag does not verify.</summary>
    public static bool Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad,
        ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        CheckLength(key.Length, KeySize);
        CheckLength(nonce.Length, NonceSize);
        if (ciphertext.Length < TagSize) return false;
        CheckLength(plaintext.Length, ciphertext.Length - TagSize);
        ulong mlen;
        fixed (byte* k = key) fixed (byte* n = nonce) fixed (byte* a = ad)
        fixed (byte* m = plaintext) fixed (byte* c = ciphertext)
            return crypto_aead_chacha20poly1305_ietf_decrypt(m, &mlen, null, c, (ulong)ciphertext.Length, a, (ulong)ad.Length, n, k) == 0;
    }

    private static void CheckLength(int actual, int expected)
    {
        if (actual != expected) throw new ArgumentException($"Expected {expected} bytes, got {actual}.");
    }
}

public sealed class CryptoFailureException(string message) : Exception(message);
