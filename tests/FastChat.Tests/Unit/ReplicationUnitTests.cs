using System.Text;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Replication;

namespace FastChat.Tests.Unit;

public class FailoverPlannerTests
{
    private static PartitionTable At(PartitionTable table, long epoch) =>
        new() { Nodes = table.Nodes, Owners = table.Owners, Next = table.Next, Epoch = epoch };

    private static Dictionary<string, MemberRecord> Live(params string[] nodes) =>
        nodes.ToDictionary(n => n, n => new MemberRecord(n, "127.0.0.1:1", "127.0.0.1:2", "00", 0, false));

    [Fact]
    public void A_dead_owner_that_reported_its_replicas_in_sync_hands_each_partition_to_its_replica()
    {
        var table = At(PartitionTable.Create(["node1", "node2", "node3"], 1024), 7);
        var next = OwnershipPlanner.Failover(table, Live("node1", "node2"), node => node == "node3");
        Assert.NotNull(next);
        Assert.DoesNotContain("node3", next.Nodes);
        for (int p = 0; p < 1024; p++)
            Assert.Equal(table.OwnerOf(p) == "node3" ? table.ReplicaOf(p) : table.OwnerOf(p), next.OwnerOf(p));
        // Replicas are placed again over the survivors: none is on the owner itself.
        Assert.All(Enumerable.Range(0, 1024), p => Assert.NotEqual(next.OwnerOf(p), next.ReplicaOf(p)));
        Assert.True(TakeoverGuard.TakenOver(table, At(next, 8), "node3"));
        Assert.False(TakeoverGuard.TakenOver(table, At(next, 8), "node1"));
    }

    [Fact]
    public void Without_an_in_sync_report_or_a_live_replica_the_partitions_wait_for_their_owner()
    {
        var table = At(PartitionTable.Create(["node1", "node2", "node3"], 1024), 7);
        Assert.Null(OwnershipPlanner.Failover(table, Live("node1", "node2"), _ => false));
        // node3 and node2 both gone: only partitions whose replica (node1) lives move.
        var next = OwnershipPlanner.Failover(table, Live("node1"), _ => true)!;
        for (int p = 0; p < 1024; p++)
        {
            bool promotable = table.OwnerOf(p) != "node1" && table.ReplicaOf(p) == "node1";
            Assert.Equal(promotable ? "node1" : table.OwnerOf(p), next.OwnerOf(p));
        }
        // A change under way is never failed over (its copies may be half done).
        var joining = At(OwnershipPlanner.Propose(table, Live("node1", "node2", "node3", "node4"))!, 8);
        Assert.Null(OwnershipPlanner.Failover(joining, Live("node1", "node2", "node4"), _ => true));
    }

    [Fact]
    public void A_change_whose_target_died_is_abandoned_to_the_owners_as_they_were()
    {
        var table = At(PartitionTable.Create(["node1", "node2", "node3"], 512), 3);
        var change = At(OwnershipPlanner.Propose(table, Live("node1", "node2", "node3", "node4"))!, 4);
        Assert.Null(OwnershipPlanner.Abandon(change, Live("node1", "node2", "node3", "node4")));
        var back = OwnershipPlanner.Abandon(change, Live("node1", "node2", "node3"))!;
        Assert.False(back.InTransition);
        Assert.Equal(Enumerable.Range(0, 512).Select(table.OwnerOf), Enumerable.Range(0, 512).Select(back.OwnerOf));
        Assert.False(TakeoverGuard.TakenOver(change, At(back, 5), "node1"));
    }

    [Fact]
    public void A_graceful_hand_off_is_not_a_takeover()
    {
        var table = At(PartitionTable.Create(["node1", "node2", "node3"], 512), 3);
        var change = At(OwnershipPlanner.Propose(table, Live("node1", "node2", "node3", "node4"))!, 4);
        var done = At(change.Completed(), 5);
        Assert.False(TakeoverGuard.TakenOver(table, change, "node1"));
        Assert.False(TakeoverGuard.TakenOver(change, done, "node1"));
    }
}

public class ReplicaStreamTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("Malice");

    [Fact]
    public void A_write_to_a_partition_not_synced_yet_waits_for_the_round_whose_snapshot_carries_it()
    {
        var stream = new ReplicaStream("node2", 1, partitions: 4, maxUnackedBytes: 1 << 20);
        stream.Restamp(5, p => p < 2, _ => 0);
        stream.Append(ReplicaOpUpsert, Key, "v1"u8, partition: 0, epoch: 5); // not synced: no record
        var ticket = stream.Capture();
        Assert.False(stream.IsPassed(ticket));

        var (round, assigned) = stream.BeginRound(p => p < 2);
        Assert.Equal(2, assigned);
        Assert.NotNull(stream.TakeSnapshotDue());
        var clear = stream.TakeToSend(resendAll: false, TimeSpan.FromSeconds(10)); // the CLEAR frame
        stream.AppendSnapshot(Key, "v1"u8, 0);
        stream.EndRound(round);
        stream.OnAck(1); // the CLEAR alone: its snapshot is not acknowledged yet
        Assert.Single(clear);
        Assert.False(stream.IsPassed(ticket));
        stream.OnAck(stream.LastSeq);
        Assert.True(stream.IsPassed(ticket));
        Assert.True(stream.InSyncAt(5));

        // Synced now: a write is a record, and its ticket passes with its acknowledgement alone.
        stream.Append(ReplicaOpUpsert, Key, "v2"u8, 0, 5);
        var next = stream.Capture();
        Assert.False(stream.IsPassed(next));
        stream.OnAck(stream.LastSeq);
        Assert.True(stream.IsPassed(next));
        // A write still under the old table cannot be streamed: it needs another round.
        stream.Append(ReplicaOpUpsert, Key, "v3"u8, 0, 4);
        Assert.False(stream.IsPassed(stream.Capture()));
    }

    [Fact]
    public void A_new_table_restamps_the_unacknowledged_records_it_still_owns_and_drops_the_rest()
    {
        var stream = new ReplicaStream("node2", 1, partitions: 4, maxUnackedBytes: 1 << 20);
        stream.Restamp(5, _ => true, _ => 0);
        var (round, _) = stream.BeginRound(_ => true);
        stream.EndRound(round);
        stream.OnAck(stream.LastSeq);
        byte[] kept = Encoding.ASCII.GetBytes("Mkept"), gone = Encoding.ASCII.GetBytes("Mgone");
        stream.Append(ReplicaOpUpsert, kept, "a"u8, 1, 5);
        stream.Append(ReplicaOpUpsert, gone, "b"u8, 2, 5);
        var ticket = stream.Capture();
        ulong before = stream.LastSeq;

        stream.Restamp(6, p => p == 1, key => key[1] == (byte)'k' ? 1 : 2);
        var frames = stream.TakeToSend(resendAll: true, TimeSpan.FromSeconds(10));
        Assert.Single(frames);
        Assert.True(ReplicateFrame.TryReadHeader(frames[0].AsSpan(4), out _, out long epoch));
        Assert.Equal(6, epoch);
        var keys = new List<string>();
        Assert.True(ReplicateFrame.TryRead(frames[0].AsSpan(4), (seq, op, key, value) => { keys.Add(Encoding.ASCII.GetString(key)); Assert.True(seq > before); return true; }));
        Assert.Equal(["Mkept"], keys);
        Assert.False(stream.IsPassed(ticket));
        stream.OnAck(stream.LastSeq); // the re-stamped record is acknowledged: the old ticket passes with it
        Assert.True(stream.IsPassed(ticket));
    }

    [Fact]
    public void An_old_ticket_waits_for_every_record_restamped_under_the_new_table_not_just_the_first()
    {
        var stream = new ReplicaStream("node2", 1, partitions: 4, maxUnackedBytes: 1 << 20);
        stream.Restamp(5, _ => true, _ => 0);
        var (round, _) = stream.BeginRound(_ => true);
        stream.EndRound(round);
        stream.OnAck(stream.LastSeq);
        stream.Append(ReplicaOpUpsert, Encoding.ASCII.GetBytes("Mfirst"), "a"u8, 1, 5);
        stream.Append(ReplicaOpUpsert, Encoding.ASCII.GetBytes("Msecond"), "b"u8, 1, 5);
        var ticket = stream.Capture(); // covers both
        ulong before = stream.LastSeq;

        stream.Restamp(6, _ => true, _ => 1); // renumbered above `before`, in order
        Assert.Equal(before + 2, stream.LastSeq);
        stream.OnAck(before + 1); // the replica has the first one only: a number past the ticket's, yet not its write
        Assert.False(stream.IsPassed(ticket));
        stream.OnAck(before + 2);
        Assert.True(stream.IsPassed(ticket));
    }

    private const ReplicaOp ReplicaOpUpsert = ReplicaOp.Upsert;
}
