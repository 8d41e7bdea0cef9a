using FastChat.Protocol.Frames;

namespace FastChat.Client;

/// <summary>Groups (protocol-spec/14-groups.md): membership changes and queries at the group's home, and the announcements of changes.</summary>
public sealed partial class FastChatClient
{
    /// <summary>A group this account is (or was) in changed: who changed it (a device address), and the change with the membership after it.</summary>
    public event Action<string, GroupEvent>? GroupChanged;

    /// <summary>Creates a group (with a fresh random id from <see cref="NewGroupId"/>), adds, removes, leaves or promotes; answered once durable.</summary>
    public async Task<GroupResultBody> ChangeGroupAsync(GroupOp op, byte[] groupId, IReadOnlyList<string> users, string? name = null, CancellationToken ct = default) =>
        (GroupResultBody)await RequestAsync(id => new GroupChangeBody(id, op, groupId, name, users), ct).ConfigureAwait(false);

    /// <summary>The group's name, version and members (members only).</summary>
    public async Task<GroupStateBody> QueryGroupAsync(byte[] groupId, CancellationToken ct = default) =>
        (GroupStateBody)await RequestAsync(id => new GroupQueryBody(id, groupId), ct).ConfigureAwait(false);

    public static byte[] NewGroupId() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(Protocol.Wire.GroupAddress.IdLength);
}
