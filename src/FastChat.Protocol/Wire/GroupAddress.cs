namespace FastChat.Protocol.Wire;

/// <summary>
/// A group's id is 16 bytes its creator picks at random; its address, "#" and the id in 32
/// lower-case hex digits, is what places it (protocol-spec/14-groups.md): partitions hash it as
/// they hash a user name, so a group has a home node like a user, and "#" keeps it apart from names.
/// </summary>
public static class GroupAddress
{
    public const int IdLength = 16;
    public const int Length = 1 + 2 * IdLength;

    public static string Of(ReadOnlySpan<byte> groupId) =>
        groupId.Length == IdLength ? "#" + Convert.ToHexString(groupId).ToLowerInvariant() : throw new ArgumentException("a group id is 16 bytes", nameof(groupId));

    public static byte[] BytesOf(ReadOnlySpan<byte> groupId) => System.Text.Encoding.ASCII.GetBytes(Of(groupId));

    /// <summary>Writes the address of <paramref name="groupId"/> without allocating; returns <see cref="Length"/>.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> groupId)
    {
        destination[0] = (byte)'#';
        for (int i = 0; i < IdLength; i++)
        {
            destination[1 + 2 * i] = (byte)"0123456789abcdef"[groupId[i] >> 4];
            destination[2 + 2 * i] = (byte)"0123456789abcdef"[groupId[i] & 0xF];
        }
        return Length;
    }

    public static bool IsGroup(ReadOnlySpan<byte> address) => address.Length == Length && address[0] == (byte)'#';

    /// <summary>The id of a group address (lower-case hex only, so each group has exactly one address).</summary>
    public static bool TryParse(ReadOnlySpan<byte> address, Span<byte> groupId)
    {
        if (!IsGroup(address) || groupId.Length < IdLength) return false;
        for (int i = 0; i < IdLength; i++)
        {
            int hi = Nibble(address[1 + 2 * i]), lo = Nibble(address[2 + 2 * i]);
            if (hi < 0 || lo < 0) return false;
            groupId[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }

    private static int Nibble(byte c) => c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : -1;
}
