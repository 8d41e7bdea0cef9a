namespace FastChat.Protocol.Noise;

public static class NoiseConstants
{
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
    public const int DhLength = 32;
    public const int HashLength = 64;
    public const int KeyLength = 32;
    public const int TagLength = 16;
    public const int BlockLength = 128;

    /// <summary>Largest Noise message (Noise spec §3); every record and handshake message obeys it.</summary>
    public const int MaxMessageLength = 65535;
    public const int MaxPlaintextLength = MaxMessageLength - TagLength;

    /// <summary>Noise nonce for ChaChaPoly: 4 zero bytes then the 64-bit counter little-endian.</summary>
    public static void WriteNonce(Span<byte> nonce12, ulong n)
    {
        nonce12[..4].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(nonce12[4..], n);
    }
}
