using System.Diagnostics;
using FastChat.Server.Cluster.Handoff;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Storage;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// One sync round's snapshot for one replica, read from the store a window at a time: the sender
/// appends records only while the stream holds less than <see cref="Window"/> unacknowledged
/// bytes, so a replica that must copy more than the stream's lag bound paces the copy instead of
/// overflowing the bound (which would drop everything and start the sync again, for ever).
/// Keys are listed once at the start; each is read under its stripe lock when its turn comes, so a
/// write between listing and reading is either streamed before it or carried by the read.
/// Owned by its stream's sender loop (no locking).
/// </summary>
internal sealed class SnapshotCopy(long round, bool[] due, List<byte[]> keys, long window)
{
    private readonly Stopwatch _started = Stopwatch.StartNew();
    private int _next;

    public long Round { get; } = round;

    /// <summary>How many unacknowledged bytes the stream may hold before the copy waits for acknowledgements.</summary>
    public long Window { get; } = window;

    public int Partitions { get; } = due.Count(d => d);
    public long Records { get; private set; }
    public long Bytes { get; private set; }
    public TimeSpan Elapsed => _started.Elapsed;

    /// <summary>Every listed key has been read (the round's end may go into the stream).</summary>
    public bool Finished => _next >= keys.Count;

    /// <summary>The stream has room: the copy can go on without waiting.</summary>
    public bool CanContinue(ReplicaStream stream) => !Finished && stream.UnackedBytes < Window;

    /// <summary>Appends snapshot records of the due partitions still synced until the window is full or the keys run out.</summary>
    public void Continue(FasterStore store, ReplicaStream stream, PartitionTable table)
    {
        while (CanContinue(stream))
        {
            var key = keys[_next];
            keys[_next++] = null!; // read once: let the scan's memory go as it advances
            int partition = RecordPartition.Of(table, key);
            if (partition < 0 || !due[partition] || !stream.IsSynced(partition)) continue; // dropped since (an overflow, a new table)
            store.ReadLive(key, (k, value) =>
            {
                if (!stream.AppendSnapshot(k, value, partition)) return;
                Records++;
                Bytes += k.Length + value.Length;
            });
        }
    }
}
