using System.Buffers.Binary;
using FastChat.Protocol.Wire;
using FastChat.Server.Storage;

namespace FastChat.Server.Sessions;

/// <summary>
/// What the server remembers of one sender's ids, and the only code that touches its keys:
/// the high-water mark <c>H|user</c> (the highest id accepted: retries at or below it are not
/// queued again) and the last <see cref="Remembered"/> refusals <c>R|user</c> (a retry of a
/// refused id gets the same ERROR again, never a cumulative ack that covers it). Inline in the
/// session (a struct). The high-water mark is the read loop's alone; the refusal list also changes
/// when a route answers later on another thread, so it changes only under the owner's
/// <c>gate</c> (the hot path takes it only while the list is not empty). An idle session holds no list.
/// </summary>
internal struct SenderLedger
{
    public const int Remembered = 16;
    private const int EntryLength = 10; // id u64 | code u16

    private byte[]? _refusals; // loaded lazily
    private bool _markFollowsAcks;
    private ulong _durableMark;

    /// <summary>The highest id accepted from this user.</summary>
    public ulong HighWater { get; private set; }

    public void Load(FasterStore store, ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[8];
        HighWater = store.Read(key[..StoreKeys.HighWaterKey(key, user)], value) == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }

    /// <summary>
    /// Accepts <paramref name="messageId"/> (above the mark): the mark moves, a stale refusal of it goes.
    /// <paramref name="routedElsewhere"/>: the entry went to another node, which confirms later.
    /// From then on this session writes the mark only as far as its acks reach
    /// (<see cref="Acknowledged"/>): a mark written now would let a retry after a crash here be
    /// acknowledged though the other node never got the entry. (A lower mark only costs a retry
    /// queued twice, which the recipient's SDK drops by id.)
    /// </summary>
    public void Accept(FasterStore store, ReadOnlySpan<byte> user, ulong messageId, object gate, bool routedElsewhere = false)
    {
        HighWater = messageId;
        if (routedElsewhere) _markFollowsAcks = true;
        if (Volatile.Read(ref _refusals) is not { Length: 0 })
            lock (gate)
                if (Refusals(store, user).Length > 0) Forget(store, user, messageId);
        if (!_markFollowsAcks) WriteMark(store, user, messageId);
    }

    /// <summary>A SERVER_ACK covered <paramref name="upTo"/>. Any thread; under <paramref name="gate"/>.</summary>
    public void Acknowledged(FasterStore store, ReadOnlySpan<byte> user, ulong upTo, object gate)
    {
        if (!Volatile.Read(ref _markFollowsAcks)) return;
        lock (gate)
        {
            if (upTo <= _durableMark) return;
            _durableMark = upTo;
            WriteMark(store, user, upTo);
        }
    }

    private static void WriteMark(FasterStore store, ReadOnlySpan<byte> user, ulong messageId)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, messageId);
        store.Upsert(key[..StoreKeys.HighWaterKey(key, user)], value);
    }

    public bool TryGetRefusal(FasterStore store, ReadOnlySpan<byte> user, ulong messageId, object gate, out ErrorCode code)
    {
        code = ErrorCode.None;
        byte[] list;
        lock (gate) list = Refusals(store, user); // lists are replaced, never changed in place
        for (int i = 0; i + EntryLength <= list.Length; i += EntryLength)
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(list.AsSpan(i)) != messageId) continue;
            code = (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(list.AsSpan(i + 8));
            return code != ErrorCode.None;
        }
        return false;
    }

    /// <summary>Remembers a refusal durably (refusals are rare; one small write each). Any thread.</summary>
    public void Refuse(FasterStore store, ReadOnlySpan<byte> user, ulong messageId, ErrorCode code, object gate)
    {
        lock (gate) RefuseLocked(store, user, messageId, code);
    }

    private void RefuseLocked(FasterStore store, ReadOnlySpan<byte> user, ulong messageId, ErrorCode code)
    {
        var old = Refusals(store, user);
        int keep = Math.Min(old.Length, (Remembered - 1) * EntryLength);
        var list = new byte[keep + EntryLength];
        old.AsSpan(old.Length - keep).CopyTo(list);
        BinaryPrimitives.WriteUInt64BigEndian(list.AsSpan(keep), messageId);
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(keep + 8), (ushort)code);
        Store(store, user, list);
    }

    private void Forget(FasterStore store, ReadOnlySpan<byte> user, ulong messageId)
    {
        var list = _refusals!;
        for (int i = 0; i + EntryLength <= list.Length; i += EntryLength)
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(list.AsSpan(i)) != messageId) continue;
            var shorter = new byte[list.Length - EntryLength];
            list.AsSpan(0, i).CopyTo(shorter);
            list.AsSpan(i + EntryLength).CopyTo(shorter.AsSpan(i));
            Store(store, user, shorter);
            return;
        }
    }

    private void Store(FasterStore store, ReadOnlySpan<byte> user, byte[] list)
    {
        Volatile.Write(ref _refusals, list);
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        store.Upsert(key[..StoreKeys.RejectedKey(key, user)], list);
    }

    /// <summary>The refusal list (one store read per session, then cached); under the gate.</summary>
    private byte[] Refusals(FasterStore store, ReadOnlySpan<byte> user)
    {
        if (_refusals is not null) return _refusals;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return _refusals = store.Read(key[..StoreKeys.RejectedKey(key, user)]) ?? [];
    }
}
