using System.Runtime.CompilerServices;

namespace FastChat.Protocol.Noise;

/// <summary>
/// A connection's two transport CipherStates after Split: two 32-byte keys held inline (no
/// separate arrays, no native handles) and zeroed by <see cref="Clear"/>.
/// </summary>
public sealed class NoiseTransport
{
    [InlineArray(NoiseConstants.KeyLength)]
    private struct Key32 { private byte _element; }

    private Key32 _sendKey;
    private Key32 _receiveKey;
    private CipherState _send;
    private CipherState _receive;

    public bool IsReady => _send.HasKey && _receive.HasKey;

    internal void Initialize(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey)
    {
        _send.InitializeKey(_sendKey, sendKey);
        _receive.InitializeKey(_receiveKey, receiveKey);
    }

    /// <summary>Encrypts one record body; output needs plaintext length + 16 bytes.</summary>
    public int Encrypt(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (plaintext.Length > NoiseConstants.MaxPlaintextLength) throw new ArgumentException("Record too long.");
        return _send.EncryptWithAd(_sendKey, default, plaintext, output);
    }

    /// <summary>Decrypts one record body (in place is allowed); -1 when authentication fails.</summary>
    public int Decrypt(ReadOnlySpan<byte> ciphertext, Span<byte> output) =>
        _receive.DecryptWithAd(_receiveKey, default, ciphertext, output);

    public void Clear()
    {
        _send.Clear(_sendKey);
        _receive.Clear(_receiveKey);
    }
}
