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
}
