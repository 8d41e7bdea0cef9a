using System.Buffers.Binary;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// This node's writes to the partitions one replica keeps the copy of, as one ordered stream of
/// sequence-numbered records (each key's stripe lock orders its records; this lock orders the
/// stream), stamped with the table epoch they were written under. Records gather in an open
/// frame; the sender takes sealed frames, keeps them until the replica acknowledges them durable,
/// and resends them on a new connection or when acknowledgements stall.
/// <para>
/// A partition is <em>synced</em> once a sync round has put its CLEAR in the stream (its snapshot
/// follows, read under each key's lock); from then on its writes are streamed. A write the stream
/// cannot carry (its partition is not synced, or it was written under an older table) waits for
/// the next round instead, whose snapshot holds its effect; a commit ticket names the round it
/// needs, so ✓ never passes before that round is acknowledged. A new table re-stamps the records
/// not yet acknowledged (keeping those of partitions still assigned, in order, with new numbers),
/// so the replica never gets a frame from a table it may have left behind; a ticket taken before
/// then passes only once the last re-stamped record is acknowledged. Bounded: past
/// <see cref="_maxUnackedBytes"/> the unacknowledged records are dropped and every partition is
/// synced again; tickets above the last acknowledged number then wait for that round.
/// All state under <see cref="_gate"/>.
/// </para>
/// </summary>
internal sealed class ReplicaStream(string node, ulong incarnation, int partitions, long maxUnackedBytes)
{
    /// <summary>What a commit must see acknowledged: every record up to <see cref="Seq"/>, and sync round <see cref="Round"/>.</summary>
    public readonly record struct Ticket(ulong Seq, long Round);

    private readonly object _gate = new();
    private readonly long _maxUnackedBytes = maxUnackedBytes;
    private readonly ReplicateFrame _open = new(incarnation);
    private readonly Queue<(ulong Last, byte[] Frame)> _unacked = new();
    private readonly List<byte[]> _unsent = new();
    private readonly Queue<(long Round, ulong End)> _roundEnds = new();
    private readonly bool[] _synced = new bool[partitions];
    private readonly bool[] _snapshot = new bool[partitions];
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private long _unackedBytes;
    private ulong _nextSeq = 1;
    private ulong _acked;
    private long _epoch;
    private long _startedRound;
    private long _completedRound;
    private bool _waitingForRound = true; // nothing is synced at first
    private bool _snapshotDue;
    private ulong _droppedAbove = ulong.MaxValue; // after an overflow: tickets above the acked mark then...
    private long _droppedRound;                   // ...wait for this round
    private ulong _restampedAbove = ulong.MaxValue; // after a new table: tickets in (this, _restampedUpTo]...
    private ulong _restampedUpTo;                   // ...numbered their records before the re-stamp, which...
    private ulong _restampedEnd;                    // ...gave them numbers up to here: they wait until it is acknowledged
    private long _lastProgressTicks = Environment.TickCount64;

    public string Node { get; } = node;

    /// <summary>This node's process incarnation: acknowledgements name it.</summary>
    public ulong Incarnation { get; } = incarnation;

    public ulong LastSeq { get { lock (_gate) return _nextSeq - 1; } }
    public ulong Acked { get { lock (_gate) return _acked; } }
    public long UnackedBytes { get { lock (_gate) return _unackedBytes; } }

    /// <summary>A sync round is due (a write the stream could not carry, a new table, an overflow).</summary>
    public bool RoundDue { get { lock (_gate) return _waitingForRound; } }

    /// <summary>Every write so far is acknowledged, under <paramref name="epoch"/>: the replica holds all of it.</summary>
    public bool InSyncAt(long epoch)
    {
        lock (_gate) return _epoch == epoch && !_waitingForRound && _completedRound == _startedRound && _acked == _nextSeq - 1;
    }

    /// <summary>A write to <paramref name="partition"/> under table <paramref name="epoch"/>; called under the key's stripe lock.</summary>
    public void Append(ReplicaOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int partition, long epoch)
    {
        bool wake;
        lock (_gate)
        {
            if (epoch != _epoch || !_synced[partition]) wake = _waitingForRound = true; // the next round's snapshot carries it
            else wake = AddLocked(op, key, value);
        }
        if (wake) _signal.Release();
    }

    /// <summary>A snapshot record, from the sender's scan under the key's stripe lock; false when its partition is no longer synced.</summary>
    public bool AppendSnapshot(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int partition)
    {
        lock (_gate)
        {
            if (!_synced[partition]) return false;
            AddLocked(ReplicaOp.Upsert, key, value);
            return true;
        }
    }

    /// <summary>The partition's writes go into this stream (a snapshot of it is still worth reading).</summary>
    public bool IsSynced(int partition)
    {
        lock (_gate) return _synced[partition];
    }

    /// <summary>Sync round <paramref name="round"/> and all before it are acknowledged.</summary>
    public bool HasCompleted(long round)
    {
        lock (_gate) return _completedRound >= round;
    }

    public Ticket Capture()
    {
        lock (_gate) return new Ticket(_nextSeq - 1, _waitingForRound ? _startedRound + 1 : _startedRound);
    }

    public bool IsPassed(Ticket ticket)
    {
        lock (_gate)
            return _acked >= ticket.Seq && _completedRound >= ticket.Round && (ticket.Seq <= _droppedAbove || _completedRound >= _droppedRound)
                && (ticket.Seq <= _restampedAbove || ticket.Seq > _restampedUpTo || _acked >= _restampedEnd);
    }

    /// <summary>
    /// A new table: the unacknowledged records of partitions still in <paramref name="assigned"/>
    /// are numbered and stamped again (in order), the others dropped (this node no longer writes
    /// them: they were handed off, or it has been replaced); partitions no longer assigned stop streaming.
    /// </summary>
    public void Restamp(long epoch, Func<int, bool> assigned, Func<ReadOnlySpan<byte>, int> partitionOf)
    {
        lock (_gate)
        {
            if (epoch <= _epoch) return;
            Seal();
            // A ticket names a number, but its record gets a new, higher one: a ticket numbered before
            // now must wait for the last re-stamped record (one re-stamp not yet acknowledged widens it).
            _restampedAbove = Math.Min(_restampedAbove, _acked);
            _restampedUpTo = _nextSeq - 1;
            var frames = _unacked.Select(u => u.Frame).ToArray();
            _unacked.Clear();
            _unsent.Clear();
            _unackedBytes = 0;
            _epoch = epoch;
            for (int p = 0; p < _synced.Length; p++) _synced[p] &= assigned(p);
            foreach (var frame in frames)
                ReplicateFrame.TryRead(frame.AsSpan(Protocol.Wire.ProtocolLimits.FrameHeaderLength), (seq, op, key, value) =>
                {
                    if (seq <= _acked) return true; // the replica has it already
                    if (op == ReplicaOp.Clear || partitionOf(key) is >= 0 and var p && assigned(p)) AddLocked(op, key, value);
                    return true;
                });
            _waitingForRound = true; // partitions newly assigned under this table
            _restampedEnd = _nextSeq - 1;
            ResolveRestampLocked();
        }
        _signal.Release();
    }

    /// <summary>
    /// Starts a sync round: partitions in <paramref name="assigned"/> not synced yet get a CLEAR and
    /// are marked for the snapshot the sender reads next. Returns the round and how many partitions are assigned.
    /// </summary>
    public (long Round, int Assigned) BeginRound(Func<int, bool> assigned)
    {
        List<int>? fresh = null;
        int count = 0;
        long round;
        lock (_gate)
        {
            round = ++_startedRound;
            _waitingForRound = false;
            for (int p = 0; p < _synced.Length; p++)
            {
                if (!assigned(p)) { _synced[p] = false; continue; }
                count++;
                if (_synced[p]) continue;
                (fresh ??= []).Add(p);
                _synced[p] = _snapshot[p] = true;
            }
            if (fresh is not null)
            {
                _snapshotDue = true;
                Span<byte> list = stackalloc byte[2 * 1024];
                for (int i = 0; i < fresh.Count; i += 1024)
                {
                    int n = Math.Min(1024, fresh.Count - i);
                    for (int j = 0; j < n; j++) BinaryPrimitives.WriteUInt16BigEndian(list[(2 * j)..], (ushort)fresh[i + j]);
                    AddLocked(ReplicaOp.Clear, default, list[..(2 * n)]);
                }
            }
        }
        return (round, count);
    }

    /// <summary>The partitions whose snapshot is due (and clears the marks), or null.</summary>
    public bool[]? TakeSnapshotDue()
    {
        lock (_gate)
        {
            if (!_snapshotDue) return null;
            _snapshotDue = false;
            var due = (bool[])_snapshot.Clone();
            Array.Clear(_snapshot);
            return due;
        }
    }

    /// <summary>The round's snapshot is in the stream: the round completes once the replica acknowledges up to here.</summary>
    public void EndRound(long round)
    {
        lock (_gate)
        {
            _roundEnds.Enqueue((round, _nextSeq - 1));
            CompleteRoundsLocked();
        }
    }

    /// <summary>
    /// What to send now: every unacknowledged frame (<paramref name="resendAll"/>, for a new
    /// connection, or when acknowledgements stalled), otherwise the frames sealed since the last call.
    /// </summary>
    public List<byte[]> TakeToSend(bool resendAll, TimeSpan stallAfter)
    {
        lock (_gate)
        {
            Seal();
            bool stalled = _unacked.Count > 0 && Environment.TickCount64 - _lastProgressTicks > stallAfter.TotalMilliseconds;
            var frames = resendAll || stalled ? _unacked.Select(u => u.Frame).ToList() : [.. _unsent];
            if (stalled) _lastProgressTicks = Environment.TickCount64;
            _unsent.Clear();
            return frames;
        }
    }

    public void OnAck(ulong seq)
    {
        lock (_gate)
        {
            if (seq <= _acked || seq >= _nextSeq) return;
            _acked = seq;
            _lastProgressTicks = Environment.TickCount64;
            while (_unacked.TryPeek(out var first) && first.Last <= seq)
            {
                _unacked.Dequeue();
                _unackedBytes -= first.Frame.Length;
            }
            CompleteRoundsLocked();
            ResolveRestampLocked();
        }
        _signal.Release(); // a paced snapshot copy may go on
    }

    /// <summary>This replica keeps nothing of this node's any more: nothing may wait for it.</summary>
    public void Retire()
    {
        lock (_gate)
        {
            _open.Reset();
            _unacked.Clear();
            _unsent.Clear();
            _roundEnds.Clear();
            _unackedBytes = 0;
            _acked = _nextSeq - 1;
            ResolveRestampLocked();
            _completedRound = _startedRound = Math.Max(_startedRound, _droppedRound);
            _waitingForRound = false;
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    private void ResolveRestampLocked()
    {
        if (_acked >= _restampedEnd) _restampedAbove = ulong.MaxValue;
    }

    private void CompleteRoundsLocked()
    {
        while (_roundEnds.TryPeek(out var end) && end.End <= _acked)
        {
            _completedRound = end.Round;
            _roundEnds.Dequeue();
        }
    }

    /// <returns>True when the open frame was empty before (the sender should wake).</returns>
    private bool AddLocked(ReplicaOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (!_open.Fits(key.Length, value.Length)) Seal();
        bool wasEmpty = _open.Records == 0;
        _open.Add(_nextSeq++, op, key, value);
        return wasEmpty;
    }

    /// <summary>Moves the open frame to the unacknowledged and unsent lists.</summary>
    private void Seal()
    {
        if (_open.Take(_epoch) is not { } frame) return;
        _unacked.Enqueue((_nextSeq - 1, frame));
        _unsent.Add(frame);
        _unackedBytes += frame.Length;
        if (_unackedBytes <= _maxUnackedBytes) return;
        // Too far behind: drop what waits and sync every partition again once the replica is back.
        if (_completedRound >= _droppedRound) _droppedAbove = _acked; // else an earlier overflow's mark (lower) still holds
        _droppedRound = _startedRound + 1;
        _unacked.Clear();
        _unsent.Clear();
        _unackedBytes = 0;
        Array.Clear(_synced);
        _waitingForRound = true;
    }
}
