using FastChat.Server.Cluster.Membership;

namespace FastChat.Tests.Unit;

public class OwnershipPlannerTests
{
    private static Dictionary<string, MemberRecord> Live(params (string Id, bool Leaving)[] nodes) =>
        nodes.ToDictionary(n => n.Id, n => new MemberRecord(n.Id, "127.0.0.1:1", "127.0.0.1:2", "00", 0, n.Leaving));

    [Fact]
    public void A_join_moves_partitions_only_to_the_new_node_and_completes_to_the_target_assignment()
    {
        var table = PartitionTable.Create(["node1", "node2", "node3"], 4096);
        var change = OwnershipPlanner.Propose(table, Live(("node1", false), ("node2", false), ("node3", false), ("node4", false)));
        Assert.NotNull(change);
        Assert.True(change.InTransition);
        var moving = Enumerable.Range(0, 4096).Where(change.IsMoving).ToArray();
        Assert.All(moving, p => Assert.Equal("node4", change.NextOwnerOf(p)));
        Assert.InRange(moving.Length, 900, 1150);
        Assert.Equal(["node1", "node2", "node3"], OwnershipPlanner.Sources(change).Order());

        var done = change.Completed();
        var expected = PartitionTable.Create(["node1", "node2", "node3", "node4"], 4096);
        Assert.Equal(Enumerable.Range(0, 4096).Select(expected.OwnerOf), Enumerable.Range(0, 4096).Select(done.OwnerOf));
        Assert.False(done.InTransition);
    }

    [Fact]
    public void A_leaving_node_gives_everything_away_and_disappears_from_the_completed_table()
    {
        var table = PartitionTable.Create(["node1", "node2", "node3"], 512);
        var live = Live(("node1", false), ("node2", false), ("node3", true));
        Assert.Equal("node1", OwnershipPlanner.Coordinator(live));
        var change = OwnershipPlanner.Propose(table, live)!;
        Assert.Equal(["node3"], OwnershipPlanner.Sources(change));
        var done = change.Completed();
        Assert.Equal(0, done.CountOwnedBy("node3"));
        Assert.DoesNotContain("node3", done.Nodes);
        Assert.Equal(512, done.CountOwnedBy("node1") + done.CountOwnedBy("node2"));
        // JSON round trip keeps the change (what etcd stores).
        var back = PartitionTable.FromJson(change.ToJson(), 9)!;
        Assert.Equal(change.Next, back.Next);
        Assert.Equal(9, back.Epoch);
    }

    [Fact]
    public void No_change_starts_while_one_is_under_way_an_owner_is_down_or_nobody_would_remain()
    {
        var table = PartitionTable.Create(["node1", "node2"], 256);
        Assert.Null(OwnershipPlanner.Propose(table, Live(("node1", false), ("node2", false)))); // nothing to move
        Assert.Null(OwnershipPlanner.Propose(table, Live(("node1", false), ("node3", false)))); // node2 owns data and is down
        Assert.Null(OwnershipPlanner.Propose(table, Live(("node1", true), ("node2", true)))); // the last ones out keep their data
        var change = OwnershipPlanner.Propose(table, Live(("node1", false), ("node2", false), ("node3", false)))!;
        Assert.Null(OwnershipPlanner.Propose(change, Live(("node1", false), ("node2", false), ("node3", false), ("node4", false))));
    }
}
