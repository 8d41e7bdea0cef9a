using System.Security.Cryptography;
using FastChat.Signal.Curve;

namespace FastChat.Signal.Fingerprints;

/// <summary>
/// The safety number two users compare to check each other's identity keys, as libsignal
/// computes its displayable fingerprint: per side, SHA-512 iterated over (version 0 ‖ key ‖ stable
/// identifier) and the 33-byte key, the first 30 bytes read as six 5-byte big-endian numbers mod
/// 100000 (five digits each); both sides' 30 digits, the smaller first, so both users see the same
/// 60 digits. FastChat's stable identifier is the user name in ASCII.
/// </summary>
public static class SafetyNumber
{
    /// <summary>Signal's iteration count.</summary>
    public const int DefaultIterations = 5200;

    public static string Compute(ReadOnlySpan<byte> localId, SignalPublicKey localKey, ReadOnlySpan<byte> remoteId, SignalPublicKey remoteKey,
        int iterations = DefaultIterations)
    {
        string local = Digits(localId, localKey, iterations), remote = Digits(remoteId, remoteKey, iterations);
        return string.CompareOrdinal(local, remote) <= 0 ? local + remote : remote + local;
    }

    private static string Digits(ReadOnlySpan<byte> id, SignalPublicKey key, int iterations)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations));
        var hash = new byte[2 + SignalPublicKey.SerializedLength + id.Length]; // version 0, big-endian u16
        key.Serialized.CopyTo(hash.AsSpan(2));
        id.CopyTo(hash.AsSpan(2 + SignalPublicKey.SerializedLength));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (int i = 0; i < iterations; i++)
        {
            sha.AppendData(hash);
            sha.AppendData(key.Serialized);
            hash = sha.GetHashAndReset();
        }
        var digits = new System.Text.StringBuilder(30);
        for (int chunk = 0; chunk < 6; chunk++)
        {
            ulong value = 0;
            for (int b = 0; b < 5; b++) value = (value << 8) | hash[chunk * 5 + b];
            digits.Append((value % 100000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }
        return digits.ToString();
    }
}
