using FastChat.Server.Cluster.Handoff;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Storage;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Replication;

/// <summary>
/// The primary's side of replication (replication factor 2): every store write to a partition this
/// node owns goes, inside the write, into the stream of the partition's replica
/// (<see cref="PartitionTable.ReplicaOf"/>); one sender per stream ships the frames over the peer
/// link and syncs partitions the replica does not have yet (CLEAR, then a snapshot read under each
/// key's lock). As the group commit's barrier it publishes an epoch only once every stream has
/// acknowledged, durable, the records written before that epoch closed — so ✓, receipts and
/// hand-off confirmations all mean "on this node's disk and on the replica's".
/// </summary>
internal sealed class ReplicationPrimary(ClusterOptions options, ClusterState state, FasterStore store, GroupCommit commit, PeerMesh mesh,
    ReplicaStreams streams, InSyncReports insync, ReplicationMetrics metrics, ILogger<ReplicationPrimary> logger) : IStoreWriteObserver, IDurabilityBarrier, IHostedService
{
    private static readonly TimeSpan StallAfter = TimeSpan.FromMilliseconds(500);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _senders = new();

    public void OnWrite(WalOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var view = state.View;
        if (view.Table is not { } table || RecordPartition.Of(table, key) is not (>= 0 and var partition)) return;
        if (!view.IsSelf(table.OwnerOf(partition)) || table.ReplicaOf(partition) is not { } replica) return; // a replica's own apply: not ours
        StreamTo(replica).Append((ReplicaOp)op, key, value, partition, table.Epoch);
    }

    public object? Capture()
    {
        List<(ReplicaStream, ReplicaStream.Ticket)>? ticket = null;
        foreach (var stream in streams.All)
        {
            var t = stream.Capture();
            if (!stream.IsPassed(t)) (ticket ??= []).Add((stream, t));
        }
        return ticket;
    }

    public bool IsPassed(object ticket)
    {
        foreach (var (stream, t) in (List<(ReplicaStream Stream, ReplicaStream.Ticket Ticket)>)ticket)
            if (!stream.IsPassed(t)) return false;
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.Observer = this;
        commit.Barrier = this;
        metrics.Observe(() => streams.All);
        state.Changed += OnChanged;
        OnChanged(state.View);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        state.Changed -= OnChanged;
        _stop.Cancel();
        Task[] senders;
        lock (_senders) senders = [.. _senders];
        await Task.WhenAll(senders).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// A new table: every replica of a partition this node owns gets a stream, and every stream
    /// re-stamps what it has not had acknowledged under the new epoch.
    /// </summary>
    private void OnChanged(ClusterView view)
    {
        if (view.Table is not { } table) return;
        foreach (var node in Enumerable.Range(0, table.Partitions).Where(p => view.IsSelf(table.OwnerOf(p)))
                     .Select(table.ReplicaOf).OfType<string>().Distinct(StringComparer.Ordinal))
            StreamTo(node);
        foreach (var stream in streams.All)
            stream.Restamp(table.Epoch, p => IsAssigned(view, table, p, stream.Node), key => RecordPartition.Of(table, key));
    }

    /// <summary>A moving partition is not streamed: nobody writes it, and its hand-off copy is what its next owner starts from.</summary>
    private static bool IsAssigned(ClusterView view, PartitionTable table, int partition, string replica) =>
        view.IsSelf(table.OwnerOf(partition)) && !table.IsMoving(partition) && table.ReplicaOf(partition) == replica;

    private ReplicaStream StreamTo(string node) => streams.GetOrAdd(node, id =>
    {
        var stream = new ReplicaStream(id, mesh.Incarnation, options.Partitions, options.MaxReplicaLagBytes);
        lock (_senders) _senders.Add(Task.Run(() => SendLoopAsync(stream, _stop.Token)));
        return stream;
    });

    private async Task SendLoopAsync(ReplicaStream stream, CancellationToken cancellationToken)
    {
        PeerSession? last = null;
        SnapshotCopy? copying = null;          // the round whose snapshot is being read
        var finished = new Queue<SnapshotCopy>(); // read, waiting for the replica's acknowledgement
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (copying?.CanContinue(stream) != true || mesh.Link(stream.Node).Session is null)
                {
                    try { await stream.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
                var view = state.View;
                if (view.Table is not { } table) continue;
                bool Assigned(int p) => IsAssigned(view, table, p, stream.Node);
                if (copying is null && stream.RoundDue && !Enumerable.Range(0, table.Partitions).Any(Assigned))
                {
                    stream.BeginRound(Assigned);
                    stream.Retire(); // it keeps nothing of ours now (a failed-over node, say): nothing may wait for it
                    finished.Clear();
                    commit.Recheck();
                    continue;
                }
                // Nothing more for a replica that is not connected: a sync now would only be dropped again.
                var link = mesh.Link(stream.Node);
                if (link.Session is not { } session) continue;
                // One snapshot at a time: rounds complete in order, so the next begins once this one is read.
                if (copying is null && stream.RoundDue)
                {
                    var (round, _) = stream.BeginRound(Assigned);
                    if (stream.TakeSnapshotDue() is { } due) copying = new SnapshotCopy(round, due, store.LiveKeys(), SnapshotWindow);
                    else EndRound(stream, round);
                }
                if (copying is not null)
                {
                    copying.Continue(store, stream, table);
                    if (copying.Finished)
                    {
                        EndRound(stream, copying.Round);
                        finished.Enqueue(copying);
                        copying = null;
                    }
                }
                var frames = stream.TakeToSend(resendAll: session != last, StallAfter);
                foreach (var frame in frames) link.Send(frame);
                metrics.Sent(frames.Count, frames.Sum(f => (long)f.Length));
                last = session;
                while (finished.TryPeek(out var done) && stream.HasCompleted(done.Round)) Synced(stream, finished.Dequeue());
                insync.Check(table.Epoch);
            }
            catch (Exception ex) { logger.LogWarning(ex, "Replication to {Node} failed a step; retrying.", stream.Node); }
        }
    }

    /// <summary>A quarter of the lag bound (at most 16 MiB) for a snapshot; the rest stays for the writes streamed meanwhile.</summary>
    private long SnapshotWindow => Math.Min(options.MaxReplicaLagBytes / 4, 16L << 20);

    private void EndRound(ReplicaStream stream, long round)
    {
        stream.EndRound(round);
        commit.Recheck();
    }

    private void Synced(ReplicaStream stream, SnapshotCopy copy)
    {
        var elapsed = copy.Elapsed;
        metrics.Synced(copy.Records, copy.Bytes, elapsed);
        logger.LogInformation("Synced {Partitions} partitions to their replica {Node}: {Records} records, {Bytes} bytes acknowledged durable in {Ms} ms ({MBps:F1} MB/s).",
            copy.Partitions, stream.Node, copy.Records, copy.Bytes, (long)elapsed.TotalMilliseconds, Throughput.MegabytesPerSecond(copy.Bytes, elapsed));
    }
}
