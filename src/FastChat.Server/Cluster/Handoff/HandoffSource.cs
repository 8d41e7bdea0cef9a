using FastChat.Server.Accounts;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Delivery;
using FastChat.Server.Prekeys;
using FastChat.Server.Storage;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>
/// The sending side of a hand-off: freezes the partitions leaving this node, then copies their
/// records to each new owner until it confirms them durable. Freezing: the view that names the
/// change is already published, so the ownership gate refuses every new write to those users; this
/// waits out the writes that started before (cycling the queue, account, prekey and device list locks) and closes the
/// moving users' connections (their acks change their queues) before it reads anything.
/// </summary>
internal sealed class HandoffSource(ClusterState state, FasterStore store, UserQueues queues, AccountStore accounts, PrekeyStore prekeys,
    DeviceLists.DeviceListStore deviceLists, LocalDirectory directory,
    PeerMesh mesh, HandoffReplies replies, HandoffMetrics metrics, ILogger<HandoffSource> logger)
{
    private const int MaxOutboxFrames = 256;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SessionCheckInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Destinations of the partitions moving from this node under <paramref name="table"/>.</summary>
    public static IReadOnlyList<string> Destinations(PartitionTable table, string self) =>
        Enumerable.Range(0, table.Partitions).Where(p => table.IsMoving(p) && table.OwnerOf(p) == self)
            .Select(table.NextOwnerOf).Distinct(StringComparer.Ordinal).ToArray();

    public async Task FreezeAsync(ClusterView view, CancellationToken cancellationToken)
    {
        queues.Quiesce();
        accounts.Quiesce();
        prekeys.Quiesce();
        deviceLists.Quiesce();
        var moving = directory.Snapshot().Where(t => IsLeaving(view, t.Address)).ToArray();
        // Each client is sent to its next home, which serves it once the change completes (until then it says "retry").
        foreach (var target in moving) target.Relocate(ClusterLocator.Elsewhere(view, NextHome(view, target.Address)));
        // Their sessions end (and detach) as soon as their read loops notice; bounded, for a peer that never reads.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (moving.Any(t => directory.Find(System.Text.Encoding.ASCII.GetBytes(t.Address)) == t) && DateTime.UtcNow < deadline)
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        queues.Quiesce();
        logger.LogInformation("Froze the partitions leaving this node (epoch {Epoch}); closed {Users} of their users' connections.", view.Epoch, moving.Length);
    }

    /// <summary>
    /// One full copy to <paramref name="destination"/>; true once it confirmed every record durable.
    /// False (the caller copies again) when the receiver is not ready, counted fewer records, or the
    /// link's session changed or ended meanwhile: frames a dying session had taken are lost, so its
    /// answer may never come.
    /// </summary>
    public async Task<bool> CopyAsync(PartitionTable table, string destination, CancellationToken cancellationToken)
    {
        var link = mesh.Link(destination);
        if (await ConnectedSessionAsync(link, cancellationToken).ConfigureAwait(false) is not { } session) return false;
        long copy = replies.NextCopyId();
        var reply = replies.Expect(destination, copy);
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            link.Send(PeerFrames.U64Pair(PeerFrameType.HandoffBegin, table.Epoch, (ulong)copy));
            var batch = new HandoffBatch(table.Epoch);
            ulong records = 0;
            long bytes = 0;
            foreach (var key in store.LiveKeys())
            {
                if (reply.IsCompleted) break; // refused at BEGIN: no point reading the rest
                if (!RecordPartition.Moves(table, key, state.View.SelfId, destination)) continue;
                var value = store.Read(key);
                if (value is null) continue; // deleted since the scan
                if (!batch.TryAdd(key, value))
                {
                    await SendAsync(link, batch.TakeFrame(), cancellationToken).ConfigureAwait(false);
                    batch.TryAdd(key, value);
                }
                records++;
                bytes += key.Length + value.Length;
            }
            if (batch.Records > 0) await SendAsync(link, batch.TakeFrame(), cancellationToken).ConfigureAwait(false);
            link.Send(PeerFrames.U64Pair(PeerFrameType.HandoffEnd, copy, records));
            ulong confirmed = await WaitForReplyAsync(link, session, reply, cancellationToken).ConfigureAwait(false);
            if (confirmed == records)
            {
                metrics.Sent(records, bytes);
                var took = started.Elapsed;
                logger.LogInformation("Handed {Records} records ({Bytes} bytes) to {Node} (epoch {Epoch}, copy {Copy}), durable there in {Ms} ms ({MBps:F1} MB/s).",
                    records, bytes, destination, table.Epoch, copy, (long)took.TotalMilliseconds, Throughput.MegabytesPerSecond(bytes, took));
                return true;
            }
            logger.LogInformation("Hand-off to {Node} (epoch {Epoch}, copy {Copy}) not confirmed ({Confirmed} of {Records}); copying again.",
                destination, table.Epoch, copy, confirmed == HandoffTarget.NotReady ? "not ready" : confirmed.ToString(), records);
            return false;
        }
        finally { replies.Forget(destination, copy); }
    }

    /// <summary>The link's session, waiting briefly for one (a peer that is dialling back in).</summary>
    private static async Task<PeerSession?> ConnectedSessionAsync(PeerLink link, CancellationToken cancellationToken)
    {
        for (int i = 0; i < 10 && link.Session is null; i++) await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        return link.Session;
    }

    /// <summary>The receiver's count; <see cref="HandoffTarget.NotReady"/> when the session changed or the answer is too late.</summary>
    private static async Task<ulong> WaitForReplyAsync(PeerLink link, PeerSession session, Task<ulong> reply, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReplyTimeout;
        while (!reply.IsCompleted)
        {
            if (link.Session != session || DateTime.UtcNow > deadline) return HandoffTarget.NotReady;
            await Task.WhenAny(reply, Task.Delay(SessionCheckInterval, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return await reply.ConfigureAwait(false);
    }

    /// <summary>Bounded: waits while the link has a backlog, so a large copy never piles up in memory.</summary>
    private static async Task SendAsync(PeerLink link, byte[] frame, CancellationToken cancellationToken)
    {
        while (link.OutboxCount > MaxOutboxFrames) await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        link.Send(frame);
    }

    private static string NextHome(ClusterView view, string user) =>
        view.Table!.NextOwnerOf(view.PartitionOf(System.Text.Encoding.ASCII.GetBytes(user)));

    private static bool IsLeaving(ClusterView view, string user)
    {
        int partition = view.PartitionOf(System.Text.Encoding.ASCII.GetBytes(user));
        return view.IsMoving(partition) && view.IsSelf(view.Table!.OwnerOf(partition));
    }
}
