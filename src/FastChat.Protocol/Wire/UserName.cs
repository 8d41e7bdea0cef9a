namespace FastChat.Protocol.Wire;

/// <summary>User names: 3–32 bytes of a–z, 0–9, '.', '_' or '-', starting with a letter or digit.</summary>
public static class UserName
{
    public const int MinLength = 3;
    public const int MaxLength = 32;

    public static bool IsValid(ReadOnlySpan<byte> name)
    {
        if (name.Length is < MinLength or > MaxLength) return false;
        if (!IsAlnum(name[0])) return false;
        foreach (var c in name)
            if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
        return true;
    }

    public static bool IsValid(string name) =>
        name.Length is >= MinLength and <= MaxLength && name.All(c => c < 128) && IsValid(System.Text.Encoding.ASCII.GetBytes(name));

    private static bool IsAlnum(byte c) => c is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9';
}
