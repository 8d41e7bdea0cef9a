using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Storage;

namespace FastChat.Server.Groups;

/// <summary>What a change did: the answer, and (when it was done) the event to announce and to whom (members after it, and those it removed).</summary>
internal sealed record GroupChangeOutcome(GroupResultBody Result, GroupEvent? Event, IReadOnlyList<string> Notify);

/// <summary>
/// Groups at their home (protocol-spec/14-groups.md): one record per group, <c>G|#hex</c>, holding
/// the latest event — version, name and members in join order with their admin flag. Changes to
/// one group are serialized under its lock and numbered (version + 1 each); each is durable (and on
/// the in-sync replicas) before it is answered. The record partitions by the group's address, so
/// hand-offs and replicas carry it as they carry a user's records.
/// </summary>
/// <summary>Whether a user's home is this node (only there can their account be checked).</summary>
internal delegate bool HomedHere(ReadOnlySpan<byte> user);

internal sealed class GroupStore(FasterStore store, GroupCommit commit, IOwnershipGate gate, AccountStore accounts, HomedHere homedHere, GroupOptions options)
{
    private readonly object[] _locks = Enumerable.Range(0, 256).Select(_ => new object()).ToArray();

    public GroupEvent? Read(ReadOnlySpan<byte> groupId)
    {
        var address = GroupAddress.BytesOf(groupId);
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return store.Read(key[..StoreKeys.GroupKey(key, address)]) is { } value && GroupEvent.TryParse(value, out var group) ? group : null;
    }

    public async Task<GroupChangeOutcome> ChangeAsync(string actor, GroupChangeBody change)
    {
        var address = GroupAddress.BytesOf(change.GroupId);
        GroupChangeOutcome outcome;
        lock (_locks[System.IO.Hashing.XxHash32.HashToUInt32(address) % (uint)_locks.Length])
        {
            if (!gate.MayWrite(address)) return Refused(change, GroupStatusCode.Unavailable, 0, "the group is moving between servers; retry shortly");
            var current = Read(change.GroupId);
            outcome = Decide(actor, change, current);
            if (outcome.Event is { } next)
            {
                Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
                store.Upsert(key[..StoreKeys.GroupKey(key, address)], next.Encode());
            }
        }
        if (outcome.Event is not null) await commit.WaitForCommitAsync().ConfigureAwait(false);
        return outcome;
    }

    private GroupChangeOutcome Decide(string actor, GroupChangeBody change, GroupEvent? group)
    {
        var users = change.Users.Distinct(StringComparer.Ordinal).ToList();
        if (change.Op == GroupOp.Create)
        {
            if (group is not null) return Refused(change, GroupStatusCode.Exists, group.Version, "a group with this id exists");
            if (string.IsNullOrWhiteSpace(change.Name)) return Refused(change, GroupStatusCode.Invalid, 0, "a new group needs a name");
            users.Remove(actor);
            if (users.Count + 1 > options.MaxMembers) return Refused(change, GroupStatusCode.TooManyMembers, 0, $"a group has at most {options.MaxMembers} members");
            if (FirstUnknown(users) is { } unknown) return Refused(change, GroupStatusCode.UnknownUser, 0, $"there is no user {unknown}");
            List<GroupMember> founding = [new(actor, true), .. users.Select(u => new GroupMember(u, false))];
            return Done(change, new GroupEvent(change.GroupId, 1, GroupOp.Create, users, change.Name, founding), []);
        }
        if (group is null) return Refused(change, GroupStatusCode.NotFound, 0, "there is no such group");
        var members = group.Members.ToList();
        var me = members.FirstOrDefault(m => m.User == actor);
        if (me is null) return Refused(change, GroupStatusCode.NotMember, group.Version, "you are not a member of this group");
        if (change.Op != GroupOp.Leave && !me.Admin) return Refused(change, GroupStatusCode.NotAdmin, group.Version, "only the group's admins may do that");
        List<string> removed = [];
        switch (change.Op)
        {
            case GroupOp.Add:
                users.RemoveAll(u => members.Any(m => m.User == u));
                if (users.Count == 0) return Refused(change, GroupStatusCode.Invalid, group.Version, "they are members already");
                if (members.Count + users.Count > options.MaxMembers) return Refused(change, GroupStatusCode.TooManyMembers, group.Version, $"a group has at most {options.MaxMembers} members");
                if (FirstUnknown(users) is { } unknown) return Refused(change, GroupStatusCode.UnknownUser, group.Version, $"there is no user {unknown}");
                members.AddRange(users.Select(u => new GroupMember(u, false)));
                break;
            case GroupOp.Remove:
                if (users.Contains(actor)) return Refused(change, GroupStatusCode.Invalid, group.Version, "to leave the group, leave it");
                if (users.FirstOrDefault(u => members.All(m => m.User != u)) is { } outsider)
                    return Refused(change, GroupStatusCode.NotMember, group.Version, $"{outsider} is not a member");
                members.RemoveAll(m => users.Contains(m.User));
                removed = users;
                break;
            case GroupOp.Leave:
                users = [actor];
                members.RemoveAll(m => m.User == actor);
                removed = users;
                // A group is never left without an admin while it has members: the longest-standing member becomes one.
                if (members.Count > 0 && !members.Any(m => m.Admin)) members[0] = members[0] with { Admin = true };
                break;
            case GroupOp.Promote:
                if (users.FirstOrDefault(u => members.All(m => m.User != u)) is { } stranger)
                    return Refused(change, GroupStatusCode.NotMember, group.Version, $"{stranger} is not a member");
                members = members.Select(m => users.Contains(m.User) ? m with { Admin = true } : m).ToList();
                break;
        }
        return Done(change, new GroupEvent(group.GroupId, group.Version + 1, change.Op, users, group.Name, members), removed);
    }

    // Only accounts homed here can be checked here; a name homed elsewhere is taken as given (its home refuses the announcements if there is no such user).
    private string? FirstUnknown(IEnumerable<string> users) => users.FirstOrDefault(u =>
    {
        var name = Encoding.ASCII.GetBytes(u);
        return homedHere(name) && !accounts.Exists(name);
    });

    private static GroupChangeOutcome Done(GroupChangeBody change, GroupEvent next, IReadOnlyList<string> removed) =>
        new(new GroupResultBody(change.RequestId, GroupStatusCode.Done, next.Version, "done"), next, [.. next.Members.Select(m => m.User), .. removed]);

    private static GroupChangeOutcome Refused(GroupChangeBody change, GroupStatusCode status, ulong version, string message) =>
        new(new GroupResultBody(change.RequestId, status, version, message), null, []);
}
