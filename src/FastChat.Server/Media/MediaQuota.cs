using System.Buffers.Binary;
using FastChat.Server.Storage;

namespace FastChat.Server.Media;

/// <summary>
/// Bytes each user may upload per UTC day, counted at their home when a ticket is issued
/// (<c>B|user</c>: day number and bytes, partitioned with the user, durable like the rest).
/// </summary>
internal sealed class MediaQuota(FasterStore store, GroupCommit commit, IOwnershipGate gate, MediaOptions options, TimeProvider time)
{
    private readonly object[] _locks = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

    /// <summary>Counts <paramref name="bytes"/> against today's allowance; false when it would pass it (or the user is moving).</summary>
    public async Task<bool> TryReserveAsync(ReadOnlyMemory<byte> user, long bytes)
    {
        long day = time.GetUtcNow().ToUnixTimeSeconds() / 86400;
        if (!Reserve(user.Span, day, bytes)) return false;
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return true;
    }

    private bool Reserve(ReadOnlySpan<byte> user, long day, long bytes)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        key = key[..StoreKeys.MediaQuotaKey(key, user)];
        lock (_locks[System.IO.Hashing.XxHash32.HashToUInt32(user) % (uint)_locks.Length])
        {
            if (!gate.MayWrite(user)) return false;
            Span<byte> value = stackalloc byte[16];
            long used = store.Read(key, value) == 16 && BinaryPrimitives.ReadInt64BigEndian(value) == day ? BinaryPrimitives.ReadInt64BigEndian(value[8..]) : 0;
            if (used + bytes > options.BytesPerUserPerDay) return false;
            BinaryPrimitives.WriteInt64BigEndian(value, day);
            BinaryPrimitives.WriteInt64BigEndian(value[8..], used + bytes);
            store.Upsert(key, value);
            return true;
        }
    }
}
