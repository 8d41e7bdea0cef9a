using System.Security.Cryptography;
using FastChat.Signal.Kdf;

namespace FastChat.Signal.Groups;

/// <summary>
/// A sender key chain at one iteration: the message key seed is HMAC-SHA256(chain key, 0x01),
/// the next chain key HMAC-SHA256(chain key, 0x02) — the same steps as the Double Ratchet's chains.
/// </summary>
public readonly record struct SenderChainKey(uint Iteration, byte[] Seed)
{
    public SenderMessageKey MessageKey() => new(Iteration, SignalKdf.MessageKeyOf(Seed));

    public SenderChainKey Next() =>
        Iteration == uint.MaxValue ? throw new SignalProtocolException(SignalError.InvalidMessage, "the sender key chain is exhausted")
            : new(Iteration + 1, SignalKdf.NextChainKey(Seed));
}

/// <summary>One message's keys: HKDF-SHA256(seed, no salt, "WhisperGroup") gives 48 bytes, the IV (16) then the AES-256 key (32).</summary>
public sealed class SenderMessageKey
{
    private static readonly byte[] Info = "WhisperGroup"u8.ToArray();

    public SenderMessageKey(uint iteration, byte[] seed)
    {
        Iteration = iteration;
        Seed = seed;
        var derived = SignalKdf.Derive(seed, [], Info, 48);
        Iv = derived[..16];
        CipherKey = derived[16..];
        CryptographicOperations.ZeroMemory(derived);
    }

    public uint Iteration { get; }
    public byte[] Seed { get; }
    public byte[] Iv { get; }
    public byte[] CipherKey { get; }
}
