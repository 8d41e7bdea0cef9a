using FastChat.Protocol.Frames;
using FastChat.Server.Storage;

namespace FastChat.Server.Presence;

/// <summary>
/// Presence records at the user's home (<c>L|user</c>, partitioned with the user so hand-offs and
/// replicas carry them). Settings are durable before they are answered; last seen is written when
/// the user's last session ends and not waited for (a crash may lose the latest one).
/// </summary>
internal sealed class PresenceStore(FasterStore store, GroupCommit commit, IOwnershipGate gate, PresenceOptions options)
{
    private readonly object[] _locks = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

    public PresenceRecord Read(ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return store.Read(key[..StoreKeys.PresenceKey(key, user)]) is { } value ? PresenceRecord.Decode(value) : PresenceRecord.Empty;
    }

    /// <summary>The visibility in force for <paramref name="record"/>'s user.</summary>
    public PresenceVisibility VisibilityOf(PresenceRecord record) => record.Visibility ?? options.DefaultVisibility;

    public async Task<PresenceResultBody> SetSettingsAsync(ulong requestId, ReadOnlyMemory<byte> user, PresenceVisibility visibility, IReadOnlyList<string> contacts)
    {
        if (contacts.Count > options.MaxContacts) return new(requestId, PresenceStatusCode.TooMany, $"a contact list holds at most {options.MaxContacts} accounts");
        if (!Update(user.Span, r => r with { Visibility = visibility, Contacts = contacts.Distinct(StringComparer.Ordinal).ToArray() }))
            return new(requestId, PresenceStatusCode.Unavailable, "your account is moving between servers; retry shortly");
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return new(requestId, PresenceStatusCode.Done, "");
    }

    public void RecordLastSeen(ReadOnlySpan<byte> user, long unixMs)
    {
        if (Update(user, r => r with { LastSeenMs = unixMs })) _ = commit.WaitForCommitAsync(); // not waited for, but asked for
    }

    private bool Update(ReadOnlySpan<byte> user, Func<PresenceRecord, PresenceRecord> change)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        key = key[..StoreKeys.PresenceKey(key, user)];
        lock (_locks[System.IO.Hashing.XxHash32.HashToUInt32(user) % (uint)_locks.Length])
        {
            if (!gate.MayWrite(user)) return false;
            store.Upsert(key, change(Read(user)).Encode());
            return true;
        }
    }
}
