using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Partitioning;
using Xunit.Abstractions;

namespace FastChat.Tests.Unit;

public class PartitioningTests(ITestOutputHelper output)
{
    private static readonly string[] Users = Enumerable.Range(0, 200_000).Select(i => $"user{i:x}").ToArray();

    [Fact]
    public void The_user_hash_is_xxh3_of_the_name_so_other_languages_can_reproduce_it()
    {
        // Expected values from Debian's python3-xxhash 3.2 (the C xxHash library), not from .NET:
        // xxh3_64_intdigest(b"alice") = 5593767425381308080 -> partition 1712; b"bob" -> 1442208253991303397 -> 2277.
        Assert.Equal(1712, UserPartitioner.PartitionOf("alice"u8, 4096));
        Assert.Equal(2277, UserPartitioner.PartitionOf("bob", 4096));
        Assert.Equal(5593767425381308080UL, System.IO.Hashing.XxHash3.HashToUInt64("alice"u8));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void Users_spread_within_ten_percent_of_the_mean(int nodes)
    {
        var table = PartitionTable.Create(Enumerable.Range(1, nodes).Select(i => $"node{i}").ToArray(), UserPartitioner.DefaultPartitions);
        var perNode = Users.GroupBy(u => table.OwnerOf(UserPartitioner.PartitionOf(u, table.Partitions))).ToDictionary(g => g.Key, g => g.Count());
        double mean = Users.Length / (double)nodes;
        double ratio = perNode.Values.Max() / mean;
        output.WriteLine($"{nodes} nodes: users per node {string.Join(", ", perNode.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}; max/mean {ratio:F3}");
        Assert.Equal(nodes, perNode.Count);
        Assert.True(ratio <= 1.1, $"max/mean {ratio:F3}");
    }

    [Fact]
    public void A_fourth_node_takes_a_quarter_of_the_users_and_nothing_else_moves()
    {
        var three = PartitionTable.Create(["node1", "node2", "node3"], UserPartitioner.DefaultPartitions);
        var four = PartitionTable.Create(["node1", "node2", "node3", "node4"], UserPartitioner.DefaultPartitions);
        int moved = 0;
        foreach (var user in Users)
        {
            int p = UserPartitioner.PartitionOf(user, UserPartitioner.DefaultPartitions);
            if (three.OwnerOf(p) == four.OwnerOf(p)) continue;
            moved++;
            Assert.Equal("node4", four.OwnerOf(p)); // minimal movement: only to the new node
        }
        double share = moved / (double)Users.Length;
        output.WriteLine($"join moves {share:P2} of users");
        Assert.InRange(share, 0.22, 0.28);
    }

    [Fact]
    public void A_rendezvous_score_matches_the_c_library()
    {
        // python3-xxhash: xxh3_64_intdigest(b"node1" + struct.pack("<I", 7)) = 16578719107756477657.
        Assert.Equal(16578719107756477657UL, RendezvousAssigner.ScoreOf("node1", 7));
    }

    [Fact]
    public void The_assignment_does_not_depend_on_the_order_nodes_are_listed_in()
    {
        var a = PartitionTable.Create(["node3", "node1", "node2"], 4096);
        var b = PartitionTable.Create(["node1", "node2", "node3"], 4096);
        Assert.Equal(Enumerable.Range(0, 4096).Select(a.OwnerOf), Enumerable.Range(0, 4096).Select(b.OwnerOf));
    }

    [Fact]
    public void A_table_round_trips_through_its_json_and_a_broken_one_is_rejected()
    {
        var table = PartitionTable.Create(["node1", "node2"], 64);
        var back = PartitionTable.FromJson(table.ToJson(), epoch: 42)!;
        Assert.Equal(42, back.Epoch);
        Assert.Equal(Enumerable.Range(0, 64).Select(table.OwnerOf), Enumerable.Range(0, 64).Select(back.OwnerOf));
        Assert.Null(PartitionTable.FromJson("""{"nodes":["node1"],"owners":[0,1]}"""u8, 1)); // owner index out of range
        Assert.Null(PartitionTable.FromJson("not json"u8, 1));
    }
}
