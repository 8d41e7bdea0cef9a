using System.Security.Cryptography;
using System.Text;

namespace FastChat.Protocol.Crypto;

/// <summary>
/// The code a new device shows and the user types on the primary (protocol-spec/13-devices.md):
/// the first 80 bits of SHA-256("FastChat-Link-v1" | user length u8 | user | Noise key 32 |
/// identity key 33) in RFC 4648 base32, 16 characters, shown in four groups of four. The code
/// binds both keys, so a server that swaps them needs an 80-bit second preimage.
/// </summary>
public static class LinkCode
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    public const int Length = 16;

    public static string Compute(string user, ReadOnlySpan<byte> noiseKey, ReadOnlySpan<byte> identityKey)
    {
        var domain = "FastChat-Link-v1"u8;
        var input = new byte[domain.Length + 1 + user.Length + noiseKey.Length + identityKey.Length];
        domain.CopyTo(input);
        int at = domain.Length;
        input[at++] = (byte)user.Length;
        at += Encoding.ASCII.GetBytes(user, input.AsSpan(at));
        noiseKey.CopyTo(input.AsSpan(at));
        identityKey.CopyTo(input.AsSpan(at + noiseKey.Length));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var code = new char[Length];
        for (int i = 0; i < Length; i++)
        {
            int bit = i * 5, value = 0;
            for (int j = 0; j < 5; j++, bit++) value = (value << 1) | ((hash[bit / 8] >> (7 - bit % 8)) & 1);
            code[i] = Alphabet[value];
        }
        return new string(code);
    }

    /// <summary>For display: ABCD-EFGH-IJKL-MNOP.</summary>
    public static string Format(string code) => string.Join('-', Enumerable.Range(0, code.Length / 4).Select(i => code.Substring(i * 4, 4)));

    /// <summary>What the user typed, normalised: case, spaces and dashes ignored.</summary>
    public static string Normalise(string typed) =>
        new(typed.Where(c => c is not (' ' or '-')).Select(char.ToUpperInvariant).ToArray());
}
