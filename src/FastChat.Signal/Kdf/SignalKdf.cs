using System.Security.Cryptography;

namespace FastChat.Signal.Kdf;

/// <summary>The Signal Protocol's key derivations: HKDF-SHA256 (RFC 5869) and the chain-key HMAC steps.</summary>
internal static class SignalKdf
{
    public static readonly byte[] ZeroSalt = new byte[32];
    public static readonly byte[] WhisperText = "WhisperText"u8.ToArray();
    public static readonly byte[] WhisperRatchet = "WhisperRatchet"u8.ToArray();
    public static readonly byte[] WhisperMessageKeys = "WhisperMessageKeys"u8.ToArray();
    private static readonly byte[] MessageKeySeed = [1];
    private static readonly byte[] ChainKeySeed = [2];

    public static byte[] Derive(ReadOnlySpan<byte> input, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, int length)
    {
        var output = new byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, input, output, salt, info);
        return output;
    }

    /// <summary>A chain key's message key (HMAC(ck, 0x01)).</summary>
    public static byte[] MessageKeyOf(ReadOnlySpan<byte> chainKey) => HMACSHA256.HashData(chainKey, MessageKeySeed);

    /// <summary>The chain key after <paramref name="chainKey"/> (HMAC(ck, 0x02)).</summary>
    public static byte[] NextChainKey(ReadOnlySpan<byte> chainKey) => HMACSHA256.HashData(chainKey, ChainKeySeed);
}
