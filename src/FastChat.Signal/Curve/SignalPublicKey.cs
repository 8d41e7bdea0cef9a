namespace FastChat.Signal.Curve;

/// <summary>
/// A Curve25519 public key as the Signal Protocol serialises it: a type byte 0x05 (DJB) and the
/// 32-byte X25519 u-coordinate. Signatures and MACs cover these 33 bytes.
/// </summary>
public readonly struct SignalPublicKey : IEquatable<SignalPublicKey>
{
    public const byte DjbType = 0x05;
    public const int SerializedLength = 33;

    private readonly byte[] _serialized;

    private SignalPublicKey(byte[] serialized) => _serialized = serialized;

    /// <summary>The 33 bytes with the type prefix.</summary>
    public ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>The 32-byte u-coordinate.</summary>
    public ReadOnlySpan<byte> Raw => _serialized.AsSpan(1);

    public static SignalPublicKey FromRaw(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != 32) throw new ArgumentException("An X25519 public key is 32 bytes.");
        var serialized = new byte[SerializedLength];
        serialized[0] = DjbType;
        raw.CopyTo(serialized.AsSpan(1));
        return new SignalPublicKey(serialized);
    }

    /// <summary>Parses the 33-byte form; false for any other length or type.</summary>
    public static bool TryParse(ReadOnlySpan<byte> serialized, out SignalPublicKey key)
    {
        key = default;
        if (serialized.Length != SerializedLength || serialized[0] != DjbType) return false;
        key = new SignalPublicKey(serialized.ToArray());
        return true;
    }

    public static SignalPublicKey Parse(ReadOnlySpan<byte> serialized) =>
        TryParse(serialized, out var key) ? key : throw new InvalidKeyException("not a 33-byte Curve25519 public key of type 5");

    public byte[] ToArray() => (byte[])_serialized.Clone();

    public bool Equals(SignalPublicKey other) => Serialized.SequenceEqual(other.Serialized);
    public override bool Equals(object? obj) => obj is SignalPublicKey other && Equals(other);
    public override int GetHashCode() { var h = new HashCode(); h.AddBytes(Serialized); return h.ToHashCode(); }
    public static bool operator ==(SignalPublicKey a, SignalPublicKey b) => a.Equals(b);
    public static bool operator !=(SignalPublicKey a, SignalPublicKey b) => !a.Equals(b);
    public override string ToString() => Convert.ToHexString(Serialized);
}

public sealed class InvalidKeyException(string message) : Exception(message);
