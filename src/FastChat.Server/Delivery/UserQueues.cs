using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Storage;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Delivery;

internal enum EnqueueStatus
{
    Queued,
    QueueFull,
    /// <summary>The user's partition is moving to another node (or is not this node's): nothing is written here.</summary>
    NotOwned,
}

internal enum AckStatus { Ok, Stale, BeyondDelivered, NotAttached }

/// <summary>
/// Every user's durable FIFO of DELIVER frames in FASTER: <c>M|user</c> holds (head, tail),
/// <c>Q|seq|user</c> holds the encoded frame. All changes to one user's queue happen under that
/// user's stripe lock; no code holds two stripe locks at once. Entries are pushed to a connected
/// user within a window (count and bytes) and deleted only when the client acknowledges them;
/// what does not fit waits in the store, so a slow reader never grows server memory.
/// </summary>
internal sealed class UserQueues
{
    private const int StripeCount = 4096;
    private const int MaxTrimPerEnqueue = 64;
    private const int DeliverHeader = ProtocolLimits.FrameHeaderLength;

    private readonly object[] _stripes;
    private readonly FasterStore _store;
    private readonly GroupCommit _commit;
    private readonly LocalDirectory _directory;
    private readonly FastChatMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IOwnershipGate _gate;
    private readonly int _window;
    private readonly int _windowBytes;
    private readonly int _quota;
    private readonly long _ttlMs;

    public UserQueues(FasterStore store, GroupCommit commit, LocalDirectory directory, FastChatMetrics metrics,
        DeliveryOptions options, TimeProvider time, IOwnershipGate gate)
    {
        _gate = gate;
        _store = store;
        _commit = commit;
        _directory = directory;
        _metrics = metrics;
        _time = time;
        _window = options.Window;
        _windowBytes = options.WindowBytes;
        _quota = options.Quota;
        _ttlMs = (long)options.OfflineTtl.TotalMilliseconds;
        _stripes = new object[StripeCount];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new object();
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Appends an entry to <paramref name="recipient"/>'s queue and pushes it if they are connected.</summary>
    public EnqueueStatus Enqueue(ReadOnlySpan<byte> recipient, DeliveryKind kind, ulong messageId,
        ReadOnlySpan<byte> peer, string? peerName, ReadOnlySpan<byte> payload)
    {
        int frameLength = MessageFrames.DeliverLength(peer.Length, payload.Length);
        byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            var span = frame.AsSpan(0, frameLength);
            var value = QueueItem.WriteInline(span, kind, messageId, 0, peer, payload); // time stamped under the lock
            return Append(recipient, value, span, peerName);
        }
        finally { ArrayPool<byte>.Shared.Return(frame); }
    }

    /// <summary>
    /// Stores an entry once under <paramref name="sharedKey"/> (from <see cref="StoreKeys.SharedKey"/>)
    /// for <see cref="EnqueueShared"/> to reference from many queues. Removing it once every
    /// reference is acknowledged belongs to its writer (the coming group fan-out).
    /// </summary>
    public void StoreShared(ReadOnlySpan<byte> sharedKey, DeliveryKind kind, ulong messageId, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> payload)
    {
        int frameLength = MessageFrames.DeliverLength(peer.Length, payload.Length);
        byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
        _store.Upsert(sharedKey, QueueItem.WriteInline(frame.AsSpan(0, frameLength), kind, messageId, NowMs, peer, payload));
        ArrayPool<byte>.Shared.Return(frame);
        _commit.MarkDirty();
    }

    /// <summary>Appends a reference to a shared entry to <paramref name="recipient"/>'s queue and pushes it if they are connected.</summary>
    public EnqueueStatus EnqueueShared(ReadOnlySpan<byte> recipient, ReadOnlySpan<byte> sharedKey)
    {
        Span<byte> reference = stackalloc byte[1 + StoreKeys.MaxLength];
        return Append(recipient, reference[..QueueItem.WriteReference(reference, sharedKey)], default, null);
    }

    /// <summary>
    /// Appends one item value under the recipient's stripe lock: quota (trimming expired entries of
    /// an offline user first), the item, the queue head, then a push if they are connected.
    /// <paramref name="fresh"/>, when given, is the item's DELIVER frame from <see cref="QueueItem.WriteInline"/>:
    /// its seq is set here and it is pushed without being read back from the store.
    /// </summary>
    private EnqueueStatus Append(ReadOnlySpan<byte> recipient, ReadOnlySpan<byte> value, Span<byte> fresh, string? freshPeer)
    {
        try
        {
            lock (StripeOf(recipient))
            {
                if (!_gate.MayWrite(recipient)) return EnqueueStatus.NotOwned;
                var target = _directory.Find(recipient);
                var queue = target?.Queue;
                ulong head, tail;
                if (queue is not null) (head, tail) = (queue.Head, queue.Tail);
                else (head, tail) = ReadMeta(recipient);

                if (tail - head >= (ulong)_quota && queue is null) head = TrimExpired(recipient, head, tail);
                if (tail - head >= (ulong)_quota) return EnqueueStatus.QueueFull;

                ulong sequence = tail;
                // Under the lock, so entry times follow queue order (TrimExpired stops at the first live one).
                if (!fresh.IsEmpty) QueueItem.SetTime(fresh, NowMs);
                Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
                _store.Upsert(key[..StoreKeys.ItemKey(key, recipient, sequence)], value);
                tail++;
                WriteMeta(recipient, head, tail);

                if (queue is null)
                {
                    _metrics.OfflineQueued();
                    return EnqueueStatus.Queued;
                }
                queue.Tail = tail;
                if (fresh.IsEmpty)
                {
                    Pump(target!, queue, recipient, ulong.MaxValue, default, null);
                    return EnqueueStatus.Queued;
                }
                QueueItem.SetSequence(fresh, sequence); // the value is stored: its tag byte may go
                Pump(target!, queue, recipient, sequence, fresh, freshPeer);
                return EnqueueStatus.Queued;
            }
        }
        finally { _commit.MarkDirty(); }
    }

    /// <summary>
    /// Makes <paramref name="target"/> the user's live connection and starts delivering the backlog;
    /// false when the user's partition is not this node's to serve now (it is moving).
    /// </summary>
    public bool Attach(IDeliveryTarget target)
    {
        Span<byte> user = stackalloc byte[DeviceAddress.MaxLength];
        user = user[..Encoding.ASCII.GetBytes(target.Address, user)];
        lock (StripeOf(user))
        {
            if (!_gate.MayWrite(user)) return false;
            var previous = _directory.Find(user);
            if (previous is not null && !ReferenceEquals(previous, target))
            {
                previous.Queue?.Release();
                previous.Queue = null;
                previous.Replace();
            }
            var (head, tail) = ReadMeta(user);
            var queue = new QueueState(head, tail);
            target.Queue = queue;
            _directory.Set(target);
            target.OnAttached((long)(tail - head));
            Pump(target, queue, user, ulong.MaxValue, default, null);
            return true;
        }
    }

    /// <summary>
    /// Returns once every queue change that started before the call has finished; later ones see
    /// the ownership gate as it is now (the hand-off's barrier before it copies a partition).
    /// </summary>
    public void Quiesce()
    {
        foreach (var stripe in _stripes)
            lock (stripe) { }
    }

    public void Detach(IDeliveryTarget target)
    {
        Span<byte> user = stackalloc byte[DeviceAddress.MaxLength];
        user = user[..Encoding.ASCII.GetBytes(target.Address, user)];
        lock (StripeOf(user))
        {
            _directory.Remove(target);
            target.Queue?.Release();
            target.Queue = null;
        }
    }

    /// <summary>
    /// Cumulative ack: the client has every entry up to and including <paramref name="upTo"/>.
    /// The delivered receipts this owes (one per sender, cumulative) are added to
    /// <paramref name="receipts"/> for the caller to route: receipts go through the router like
    /// every other entry, and never under this user's stripe lock.
    /// </summary>
    public AckStatus Acknowledge(IDeliveryTarget target, ReadOnlySpan<byte> user, ulong upTo, List<(string Peer, ulong MessageId, byte[]? Group)> receipts)
    {
        int acked = 0;
        lock (StripeOf(user))
        {
            var queue = target.Queue;
            if (queue is null) return AckStatus.NotAttached;
            if (upTo < queue.Head) return AckStatus.Stale;
            if (upTo >= queue.NextToSend) return AckStatus.BeyondDelivered;

            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            while (queue.Head <= upTo || (queue.InFlightCount > 0 && queue.Front.Skipped))
            {
                var entry = queue.PopFront();
                _store.Delete(key[..StoreKeys.ItemKey(key, user, queue.Head)]);
                queue.Head++;
                if (entry.Skipped) continue;
                acked++;
                if (entry.Kind is DeliveryKind.Message or DeliveryKind.GroupMessage && entry.Peer is not null) AddReceipt(receipts, entry.Peer, entry.MessageId, entry.Group);
            }
            WriteMeta(user, queue.Head, queue.Tail);
            Pump(target, queue, user, ulong.MaxValue, default, null);
        }
        _commit.MarkDirty();
        _metrics.Delivered(acked);
        return AckStatus.Ok;
    }

    private static void AddReceipt(List<(string Peer, ulong MessageId, byte[]? Group)> receipts, string peer, ulong messageId, byte[]? group)
    {
        // Receipts are cumulative per conversation (a direct one, or one group), so one per peer and group per ack batch says it all.
        for (int i = 0; i < receipts.Count; i++)
        {
            if (!ReferenceEquals(receipts[i].Peer, peer) && receipts[i].Peer != peer) continue;
            if (!(group is null ? receipts[i].Group is null : receipts[i].Group is { } other && other.AsSpan().SequenceEqual(group))) continue;
            if (messageId > receipts[i].MessageId) receipts[i] = (peer, messageId, group);
            return;
        }
        receipts.Add((peer, messageId, group));
    }

    /// <summary>
    /// Sends what fits in the window. <paramref name="fresh"/> is the just-written frame for
    /// <paramref name="freshSequence"/>, which saves reading it back from the store.
    /// </summary>
    private void Pump(IDeliveryTarget target, QueueState queue, ReadOnlySpan<byte> user,
        ulong freshSequence, ReadOnlySpan<byte> fresh, string? freshPeer)
    {
        byte[]? scratch = null;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        try
        {
            while (queue.NextToSend < queue.Tail && queue.InFlightCount < _window && queue.InFlightBytes < _windowBytes)
            {
                ulong sequence = queue.NextToSend;
                ReadOnlySpan<byte> frame;
                if (sequence == freshSequence) frame = fresh;
                else
                {
                    scratch ??= ArrayPool<byte>.Shared.Rent(ProtocolLimits.MaxRecordPlaintext);
                    int n = QueueItem.ReadAsFrame(_store, key[..StoreKeys.ItemKey(key, user, sequence)], sequence, scratch);
                    frame = scratch.AsSpan(0, n);
                }

                if (!MessageFrames.TryParseDeliver(frame.Length > DeliverHeader ? frame[DeliverHeader..] : default, out var view)
                    || view.TimeMs + _ttlMs < NowMs)
                {
                    // Missing, corrupt or expired: never sent, removed once the client acks past it.
                    queue.Push(new InFlightEntry { Skipped = true });
                    queue.NextToSend++;
                    continue;
                }

                string? peer = sequence == freshSequence ? freshPeer : null;
                peer ??= view.Kind is DeliveryKind.Message or DeliveryKind.GroupMessage ? Encoding.ASCII.GetString(view.Peer) : null;
                byte[]? group = view.Kind == DeliveryKind.GroupMessage && view.Payload.Length >= GroupAddress.IdLength ? view.Payload[..GroupAddress.IdLength].ToArray() : null;
                if (!target.TryDeliver(frame, view.Kind)) return; // the connection is closing; its entries stay queued
                queue.Push(new InFlightEntry { Kind = view.Kind, MessageId = view.MessageId, Peer = peer, Group = group, Bytes = frame.Length });
                queue.NextToSend++;
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Drops expired or missing entries at the head of an offline user's queue (rare: quota reached).</summary>
    private ulong TrimExpired(ReadOnlySpan<byte> user, ulong head, ulong tail)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        long now = NowMs;
        for (int i = 0; i < MaxTrimPerEnqueue && head < tail; i++)
        {
            var itemKey = key[..StoreKeys.ItemKey(key, user, head)];
            var item = _store.Read(itemKey);
            if (item is not null && QueueItem.TimeOf(_store, item) is { } time && time + _ttlMs >= now) break;
            if (item is not null) _store.Delete(itemKey);
            head++;
        }
        return head;
    }

    /// <summary>
    /// A device left its account: every entry of its queue goes (its sequence numbers go on from
    /// the old tail). Its connection, if any, is detached and returned for the caller to close.
    /// </summary>
    public IDeliveryTarget? Purge(ReadOnlySpan<byte> address)
    {
        IDeliveryTarget? detached = null;
        lock (StripeOf(address))
        {
            if (!_gate.MayWrite(address)) return null;
            if (_directory.Find(address) is { } target)
            {
                _directory.Remove(target);
                target.Queue?.Release();
                target.Queue = null;
                detached = target;
            }
            var (head, tail) = ReadMeta(address);
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            for (ulong sequence = head; sequence < tail; sequence++) _store.Delete(key[..StoreKeys.ItemKey(key, address, sequence)]);
            WriteMeta(address, tail, tail);
        }
        _commit.MarkDirty();
        return detached;
    }

    private (ulong Head, ulong Tail) ReadMeta(ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[16];
        int n = _store.Read(key[..StoreKeys.MetaKey(key, user)], value);
        if (n != 16) return (0, 0);
        return (BinaryPrimitives.ReadUInt64LittleEndian(value), BinaryPrimitives.ReadUInt64LittleEndian(value[8..]));
    }

    private void WriteMeta(ReadOnlySpan<byte> user, ulong head, ulong tail)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(value, head);
        BinaryPrimitives.WriteUInt64LittleEndian(value[8..], tail);
        _store.Upsert(key[..StoreKeys.MetaKey(key, user)], value);
    }

    private object StripeOf(ReadOnlySpan<byte> user)
    {
        uint hash = 2166136261;
        foreach (var b in user) hash = (hash ^ b) * 16777619;
        return _stripes[hash % StripeCount];
    }
}
