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

    /// <summary>A group message arrived (one copy of the sender's one ciphertext).</summary>
    public event Action<IncomingGroupMessage>? GroupMessageReceived;

    /// <summary>Sends one payload to every member device of the group (through its home); returns the id once the home has it (✓).</summary>
    public Task<ulong> SendToGroupAsync(byte[] groupId, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        if (groupId.Length != Protocol.Wire.GroupAddress.IdLength) throw new ArgumentException("a group id is 16 bytes", nameof(groupId));
        return Send(id =>
        {
            var frame = new byte[GroupSendFrames.Length(payload.Length)];
            GroupSendFrames.Write(frame, id, groupId, payload.Span);
            return frame;
        }, ct);
    }

    public static byte[] NewGroupId() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(Protocol.Wire.GroupAddress.IdLength);
}
