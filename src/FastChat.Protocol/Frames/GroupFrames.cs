using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>What a GROUP_CHANGE does (protocol-spec/14-groups.md).</summary>
public enum GroupOp : byte
{
    Create = 1,
    Add = 2,
    Remove = 3,
    Leave = 4,
    Promote = 5,
}

public enum GroupStatusCode
{
    Done = 0,
    NotFound = 1,
    Exists = 2,
    NotAdmin = 3,
    NotMember = 4,
    UnknownUser = 5,
    TooManyMembers = 6,
    Invalid = 7,
    Unavailable = 8,
}

public sealed record GroupMember(string User, bool Admin);

/// <summary>GROUP_CHANGE (client → server): <c>[request_id, op, group_id bin 16, name str|nil, users [str]]</c>.</summary>
public sealed record GroupChangeBody(ulong RequestId, GroupOp Op, byte[] GroupId, string? Name, IReadOnlyList<string> Users) : IControlBody
{
    public FrameType Type => FrameType.GroupChange;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(5);
        w.Write(RequestId);
        w.Write((byte)Op);
        w.Write(GroupId);
        if (Name is null) w.WriteNil(); else w.Write(Name);
        GroupWire.WriteUsers(ref w, Users);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out GroupChangeBody value) =>
        ControlFrames.TryParse(body, 5, out value, (ref MessagePackReader r) =>
        {
            ulong id = r.ReadUInt64();
            byte op = r.ReadByte();
            if (op is < (byte)GroupOp.Create or > (byte)GroupOp.Promote) throw new MessagePackSerializationException("unknown group op");
            var groupId = PrekeyWire.ReadBytes(ref r, GroupAddress.IdLength);
            string? name = r.TryReadNil() ? null : r.ReadString();
            if (name is not null && System.Text.Encoding.UTF8.GetByteCount(name) > ProtocolLimits.MaxGroupNameBytes) throw new MessagePackSerializationException("group name too long");
            return new GroupChangeBody(id, (GroupOp)op, groupId, name, GroupWire.ReadUsers(ref r));
        });
}

/// <summary>GROUP_RESULT (server → client): <c>[request_id, status, version, message]</c>; version is the group's after the change.</summary>
public sealed record GroupResultBody(ulong RequestId, GroupStatusCode Status, ulong Version, string Message) : IControlBody
{
    public FrameType Type => FrameType.GroupResult;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(4); w.Write(RequestId); w.Write((int)Status); w.Write(Version); w.Write(Message); }

    public static bool TryParse(ReadOnlySpan<byte> body, out GroupResultBody value) =>
        ControlFrames.TryParse(body, 4, out value, (ref MessagePackReader r) =>
            new GroupResultBody(r.ReadUInt64(), (GroupStatusCode)r.ReadInt32(), r.ReadUInt64(), r.ReadString() ?? ""));
}

/// <summary>GROUP_QUERY (client → server): <c>[request_id, group_id]</c> — the group's members, for members only.</summary>
public sealed record GroupQueryBody(ulong RequestId, byte[] GroupId) : IControlBody
{
    public FrameType Type => FrameType.GroupQuery;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(2); w.Write(RequestId); w.Write(GroupId); }

    public static bool TryParse(ReadOnlySpan<byte> body, out GroupQueryBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new GroupQueryBody(r.ReadUInt64(), PrekeyWire.ReadBytes(ref r, GroupAddress.IdLength)));
}

/// <summary>GROUP_STATE (server → client): <c>[request_id, status, group_id, version, name, [[user, admin], …]]</c>, members in the order they joined.</summary>
public sealed record GroupStateBody(ulong RequestId, GroupStatusCode Status, byte[] GroupId, ulong Version, string Name, IReadOnlyList<GroupMember> Members) : IControlBody
{
    public FrameType Type => FrameType.GroupState;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(6);
        w.Write(RequestId); w.Write((int)Status); w.Write(GroupId); w.Write(Version); w.Write(Name);
        GroupWire.WriteMembers(ref w, Members);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out GroupStateBody value) =>
        ControlFrames.TryParse(body, 6, out value, (ref MessagePackReader r) => new GroupStateBody(r.ReadUInt64(), (GroupStatusCode)r.ReadInt32(),
            PrekeyWire.ReadBytes(ref r, GroupAddress.IdLength), r.ReadUInt64(), r.ReadString() ?? "", GroupWire.ReadMembers(ref r)));
}

/// <summary>
/// The payload of a DELIVER of kind 5 (group_change), sent to every member's devices and to those
/// a change removed: <c>[group_id, version, op, users [str], name, members [[user, admin], …]]</c>
/// — the change and the membership after it, so a device keeps its view without asking.
/// </summary>
public sealed record GroupEvent(byte[] GroupId, ulong Version, GroupOp Op, IReadOnlyList<string> Users, string Name, IReadOnlyList<GroupMember> Members)
{
    public byte[] Encode() => ControlFrames.EncodeBody((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(6);
        w.Write(GroupId); w.Write(Version); w.Write((byte)Op);
        GroupWire.WriteUsers(ref w, Users);
        w.Write(Name);
        GroupWire.WriteMembers(ref w, Members);
    });

    public static bool TryParse(ReadOnlySpan<byte> payload, out GroupEvent value) =>
        ControlFrames.TryParse(payload, 6, out value, (ref MessagePackReader r) => new GroupEvent(PrekeyWire.ReadBytes(ref r, GroupAddress.IdLength),
            r.ReadUInt64(), (GroupOp)r.ReadByte(), GroupWire.ReadUsers(ref r), r.ReadString() ?? "", GroupWire.ReadMembers(ref r)));
}

internal static class GroupWire
{
    public static void WriteUsers(ref MessagePackWriter w, IReadOnlyList<string> users)
    {
        w.WriteArrayHeader(users.Count);
        foreach (var user in users) w.Write(user);
    }

    public static IReadOnlyList<string> ReadUsers(ref MessagePackReader r)
    {
        int count = r.ReadArrayHeader();
        if (count > ProtocolLimits.MaxGroupMembers) throw new MessagePackSerializationException("too many users");
        var users = new string[count];
        for (int i = 0; i < count; i++)
            users[i] = r.ReadString() is { } user && UserName.IsValid(user) ? user : throw new MessagePackSerializationException("not a user name");
        return users;
    }

    public static void WriteMembers(ref MessagePackWriter w, IReadOnlyList<GroupMember> members)
    {
        w.WriteArrayHeader(members.Count);
        foreach (var member in members) { w.WriteArrayHeader(2); w.Write(member.User); w.Write(member.Admin); }
    }

    public static IReadOnlyList<GroupMember> ReadMembers(ref MessagePackReader r)
    {
        int count = r.ReadArrayHeader();
        if (count > ProtocolLimits.MaxGroupMembers) throw new MessagePackSerializationException("too many members");
        var members = new GroupMember[count];
        for (int i = 0; i < count; i++)
        {
            if (r.ReadArrayHeader() != 2) throw new MessagePackSerializationException("member: 2 fields");
            string user = r.ReadString() is { } name && UserName.IsValid(name) ? name : throw new MessagePackSerializationException("not a user name");
            members[i] = new GroupMember(user, r.ReadBoolean());
        }
        return members;
    }
}

/// <summary>
/// GROUP_SEND (client → server), hand-laid like SEND: msg_id u64 | group_id 16 | payload (the
/// E2E payload of a SenderKeyMessage). The bytes after msg_id are what each member's DELIVER
/// carries as its payload, so the server forwards them as they came.
/// </summary>
public static class GroupSendFrames
{
    public static int Length(int payloadLength) => ProtocolLimits.FrameHeaderLength + 8 + GroupAddress.IdLength + payloadLength;

    public static int Write(Span<byte> destination, ulong messageId, ReadOnlySpan<byte> groupId, ReadOnlySpan<byte> payload)
    {
        int body = 8 + GroupAddress.IdLength + payload.Length;
        FrameHeader.Write(destination, FrameType.GroupSend, body);
        var b = destination[ProtocolLimits.FrameHeaderLength..];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, messageId);
        groupId.CopyTo(b[8..]);
        payload.CopyTo(b[(8 + GroupAddress.IdLength)..]);
        return ProtocolLimits.FrameHeaderLength + body;
    }

    /// <param name="groupMessage">The group id and the payload: the DELIVER payload of kind 6.</param>
    public static bool TryParse(ReadOnlySpan<byte> body, out ulong messageId, out ReadOnlySpan<byte> groupMessage)
    {
        messageId = 0;
        groupMessage = default;
        if (body.Length < 8 + GroupAddress.IdLength + 1) return false;
        messageId = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(body);
        groupMessage = body[8..];
        return true;
    }
}
