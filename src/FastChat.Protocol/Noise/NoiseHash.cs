using FastChat.Protocol.Crypto;

namespace FastChat.Protocol.Noise;

/// <summary>HMAC-BLAKE2b and HKDF exactly as Noise §4.3 defines them (HMAC over the unkeyed hash).</summary>
public static class NoiseHash
{
    public static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data1, ReadOnlySpan<byte> data2, Span<byte> output)
    {
        const int B = NoiseConstants.BlockLength;
        if (key.Length > B) throw new ArgumentException("HMAC key longer than a block.");
        Span<byte> pad = stackalloc byte[B];
        Span<byte> inner = stackalloc byte[NoiseConstants.HashLength];
        pad.Clear();
        key.CopyTo(pad);
        for (int i = 0; i < B; i++) pad[i] ^= 0x36;
        Sodium.Blake2b(pad, data1, data2, inner);
        for (int i = 0; i < B; i++) pad[i] ^= 0x36 ^ 0x5c;
        Sodium.Blake2b(pad, inner, default, output);
        Sodium.Zero(pad);
        Sodium.Zero(inner);
    }

    /// <summary>HKDF(chainingKey, ikm) producing two or three 64-byte outputs.</summary>
    public static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial,
        Span<byte> output1, Span<byte> output2, Span<byte> output3 = default)
    {
        Span<byte> tempKey = stackalloc byte[NoiseConstants.HashLength];
        Span<byte> one = [0x01];
        Span<byte> two = [0x02];
        Span<byte> three = [0x03];
        Hmac(chainingKey, inputKeyMaterial, default, tempKey);
        Hmac(tempKey, one, default, output1);
        Hmac(tempKey, output1, two, output2);
        if (!output3.IsEmpty) Hmac(tempKey, output2, three, output3);
        Sodium.Zero(tempKey);
    }
}
