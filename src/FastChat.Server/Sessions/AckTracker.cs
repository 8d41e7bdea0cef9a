using System.Buffers;
using FastChat.Server.Storage;

namespace FastChat.Server.Sessions;

/// <summary>Where a session's cumulative SERVER_ACK goes.</summary>
internal interface IAckSink
{
    void SendServerAck(ulong upTo);

    /// <summary>A commit the tracker waited for passed without a new ack (frames held for the ack may go now).</summary>
    void CommitPassed();
}

/// <summary>
/// One session's ✓ bookkeeping, under its own lock. Ids arrive in increasing order; each is
/// durable either at a local group-commit epoch or when a route that completes later (a peer
/// node) confirms it, so they may become durable out of order. SERVER_ACK is cumulative: it
/// covers the longest prefix of ids that are durable or were refused (refusals were answered
/// with ERROR first), and names the highest accepted id in it.
/// </summary>
internal sealed class AckTracker : ICommitWaiter
{
    private enum State : byte { Committing, Routing, Accepted, Refused }

    private struct Entry
    {
        public ulong Id;
        public long Epoch;
        public State State;
    }

    private readonly GroupCommit _commit;
    private readonly IAckSink _sink;
    private Entry[]? _ring;          // rented while anything is outstanding
    private int _start, _count;
    private ulong _acked;            // the last SERVER_ACK's id (or the durable high-water mark at login)
    private long _forceEpoch;        // a retry asked for the ack again once this epoch is durable
    private bool _enlisted;

    /// <summary>
    /// True while the tracker waits for a group commit; until it is told, it will either send an
    /// ack or report <see cref="IAckSink.CommitPassed"/>. Any thread.
    /// </summary>
    public bool AwaitingCommit => Volatile.Read(ref _enlisted);

    public AckTracker(GroupCommit commit, IAckSink sink, ulong alreadyAcked)
    {
        _commit = commit;
        _sink = sink;
        _acked = alreadyAcked;
    }

    private object Lock => this;

    /// <summary>The id's writes are in the store (call after them): durable with the open epoch.</summary>
    public void Accepted(ulong id)
    {
        long epoch = _commit.OpenEpoch;
        lock (Lock)
        {
            Push(id, epoch, State.Committing);
            EnlistLocked();
        }
    }

    /// <summary>The id went to a route that answers later (<see cref="Routed"/>).</summary>
    public void Routing(ulong id)
    {
        lock (Lock) Push(id, 0, State.Routing);
    }

    /// <summary>A later route answered: durable where it went, or refused (its ERROR already sent).</summary>
    public void Routed(ulong id, bool accepted)
    {
        ulong send;
        lock (Lock)
        {
            for (int i = 0; i < _count; i++)
            {
                ref var entry = ref _ring![(_start + i) % _ring.Length];
                if (entry.Id != id || entry.State != State.Routing) continue;
                entry.State = accepted ? State.Accepted : State.Refused;
                break;
            }
            send = AdvanceLocked(_commit.DurableEpoch);
        }
        if (send != 0) _sink.SendServerAck(send);
    }

    /// <summary>A retry of an accepted id: acknowledge again once everything before it is certainly durable.</summary>
    public void Reacknowledge()
    {
        long epoch = _commit.OpenEpoch;
        lock (Lock)
        {
            _forceEpoch = epoch;
            EnlistLocked();
        }
    }

    public void OnCommitted(long durableEpoch)
    {
        ulong send;
        lock (Lock)
        {
            Volatile.Write(ref _enlisted, false);
            send = AdvanceLocked(durableEpoch);
            if (_forceEpoch != 0 || HasCommittingLocked()) EnlistLocked();
        }
        if (send != 0) _sink.SendServerAck(send);
        else _sink.CommitPassed();
    }

    /// <summary>Drops the finished prefix; returns the id to acknowledge now, or 0.</summary>
    private ulong AdvanceLocked(long durableEpoch)
    {
        ulong upTo = _acked;
        while (_count > 0)
        {
            ref var front = ref _ring![_start];
            bool finished = front.State switch
            {
                State.Committing => front.Epoch <= durableEpoch,
                State.Routing => false,
                _ => true,
            };
            if (!finished) break;
            if (front.State != State.Refused) upTo = front.Id;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }
        if (_count == 0) Release();
        // A forced ack repeats the current one (it may not cover an id still routing: a later one will).
        bool forced = _forceEpoch != 0 && _forceEpoch <= durableEpoch;
        if (forced) _forceEpoch = 0;
        if (upTo == 0 || (upTo == _acked && !forced)) return 0;
        _acked = upTo;
        return upTo;
    }

    private bool HasCommittingLocked()
    {
        for (int i = 0; i < _count; i++)
            if (_ring![(_start + i) % _ring.Length].State == State.Committing) return true;
        return false;
    }

    private void EnlistLocked()
    {
        if (_enlisted) return;
        Volatile.Write(ref _enlisted, true);
        _commit.Enlist(this);
    }

    private void Push(ulong id, long epoch, State state)
    {
        if (_ring is null || _count == _ring.Length) Grow();
        _ring![(_start + _count) % _ring.Length] = new Entry { Id = id, Epoch = epoch, State = state };
        _count++;
    }

    private void Grow()
    {
        var next = ArrayPool<Entry>.Shared.Rent(Math.Max(16, (_ring?.Length ?? 0) * 2));
        for (int i = 0; i < _count; i++) next[i] = _ring![(_start + i) % _ring.Length];
        if (_ring is not null) ArrayPool<Entry>.Shared.Return(_ring);
        _ring = next;
        _start = 0;
    }

    private void Release()
    {
        if (_ring is not null) ArrayPool<Entry>.Shared.Return(_ring);
        _ring = null;
        _start = 0;
    }
}
