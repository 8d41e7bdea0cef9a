using FastChat.Protocol.Crypto;

namespace FastChat.Protocol.Noise;

/// <summary>
/// Noise CipherState over a caller-owned 32-byte key slot. A struct so a connection's two
/// transport directions live inline in one small object, not in two heap objects.
/// </summary>
public struct CipherState
{
    private ulong _nonce;
    private bool _hasKey;

    public readonly bool HasKey => _hasKey;
    public readonly ulong Nonce => _nonce;

    public void InitializeKey(Span<byte> keySlot, ReadOnlySpan<byte> key)
    {
        key[..NoiseConstants.KeyLength].CopyTo(keySlot);
        _nonce = 0;
        _hasKey = true;
    }

    public void Clear(Span<byte> keySlot)
    {
        Sodium.Zero(keySlot);
        _nonce = 0;
        _hasKey = false;
    }

    /// <summary>Encrypts (or copies, before a key exists) and returns the bytes written.</summary>
    public int EncryptWithAd(ReadOnlySpan<byte> keySlot, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (!_hasKey)
        {
            plaintext.CopyTo(output);
            return plaintext.Length;
        }
        if (_nonce == ulong.MaxValue) throw new CryptoFailureException("Noise nonce exhausted.");
        Span<byte> nonce = stackalloc byte[Sodium.NonceSize];
        NoiseConstants.WriteNonce(nonce, _nonce);
        int length = plaintext.Length + NoiseConstants.TagLength;
        Sodium.Encrypt(keySlot, nonce, ad, plaintext, output[..length]);
        _nonce++;
        return length;
    }

    /// <summary>Decrypts into <paramref name="output"/>; returns -1 when authentication fails.</summary>
    public int DecryptWithAd(ReadOnlySpan<byte> keySlot, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        if (!_hasKey)
        {
            ciphertext.CopyTo(output);
            return ciphertext.Length;
        }
        if (_nonce == ulong.MaxValue || ciphertext.Length < NoiseConstants.TagLength) return -1;
        Span<byte> nonce = stackalloc byte[Sodium.NonceSize];
        NoiseConstants.WriteNonce(nonce, _nonce);
        int length = ciphertext.Length - NoiseConstants.TagLength;
        if (!Sodium.Decrypt(keySlot, nonce, ad, ciphertext, output[..length])) return -1;
        _nonce++;
        return length;
    }
}
