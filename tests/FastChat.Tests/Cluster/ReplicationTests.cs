using System.Text;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Partitioning;
using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Tests.Cluster;

/// <summary>Replication factor 2 on three real processes and a real etcd: what ✓ promises about the replica's disk.</summary>
public class ReplicationTests
{
    private static readonly string[] Replicated = ["--FastChat:Cluster:ReplicationFactor=2"];

    [Fact]
    public async Task Every_acknowledged_message_is_on_the_replicas_disk_when_both_nodes_are_killed()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, _ => Replicated);
        var entry = cluster.Nodes[0].Port;
        // The bootstrap table is the rendezvous assignment over the three ids; so is its replica placement.
        var table = PartitionTable.Create([TestCluster.NodeId(0), TestCluster.NodeId(1), TestCluster.NodeId(2)], UserPartitioner.DefaultPartitions);

        var recipient = await TestClient.ConnectAsync(entry, "kept-r");
        string recipientName = recipient.Client.UserName;
        int partition = UserPartitioner.PartitionOf(recipientName, table.Partitions);
        var home = cluster.Nodes.Single(n => n.Port == recipient.Client.Server.Port);
        Assert.Equal(TestCluster.NodeId(cluster.Nodes.ToList().IndexOf(home)), table.OwnerOf(partition));
        var replica = cluster.Nodes[int.Parse(table.ReplicaOf(partition)!["node".Length..]) - 1];
        Assert.NotSame(home, replica);
        await recipient.DisposeAsync(); // offline: everything sent stays queued

        await using var sender = await TestClient.ConnectAsync(entry, "kept-s");
        var sends = Enumerable.Range(0, 50).Select(n => sender.Client.SendAsync(recipientName, Encoding.UTF8.GetBytes($"m{n}"))).ToArray();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));

        // No shutdown code runs on either; the replica's log alone must hold all 50 ✓'d messages.
        await replica.KillAsync();
        await home.KillAsync();
        using var store = new FasterStore(Path.Combine(replica.DataDirectory, "store"), 16, NullLogger.Instance);
        var user = Encoding.ASCII.GetBytes(recipientName);
        var queued = store.LiveKeys().Where(k => k[0] == (byte)'Q' && StoreKeys.TryGetUser(k, out var u) && u.SequenceEqual(user)).ToList();
        Assert.Equal(50, queued.Count);
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Assert.NotNull(store.Read(key[..StoreKeys.AccountKey(key, user)])); // the account came along too
    }

    [Fact]
    public async Task A_new_replica_that_must_copy_more_than_the_lag_bound_still_gets_everything()
    {
        // 3.2 MB queued, replica lag bounded at 1 MiB: the sync to a new replica must pace itself,
        // not overflow the bound and start again forever (nothing more would be acknowledged).
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, _ =>
            [.. Replicated, "--FastChat:Cluster:LeaseTtlSeconds=5", $"--FastChat:Cluster:MaxReplicaLagBytes={1 << 20}"]);
        var table = PartitionTable.Create([TestCluster.NodeId(0), TestCluster.NodeId(1), TestCluster.NodeId(2)], UserPartitioner.DefaultPartitions);
        var recipient = await TestClient.ConnectAsync(cluster.Nodes[0].Port, "big-r");
        string recipientName = recipient.Client.UserName;
        int partition = UserPartitioner.PartitionOf(recipientName, table.Partitions);
        int home = cluster.Nodes.ToList().FindIndex(n => n.Port == recipient.Client.Server.Port);
        int replica = int.Parse(table.ReplicaOf(partition)!["node".Length..]) - 1;
        int third = 3 - home - replica;
        await recipient.DisposeAsync();

        await using var sender = await TestClient.ConnectAsync(cluster.Nodes[home].Port, "big-s");
        var random = new Random(partition);
        var payloads = Enumerable.Range(0, 100).Select(_ => { var b = new byte[32_000]; random.NextBytes(b); return b; }).ToArray();
        await Task.WhenAll(payloads.Select(p => sender.Client.SendAsync(recipientName, p))).WaitAsync(TimeSpan.FromSeconds(60));

        // The replica dies: the third node becomes the partition's replica and must be sent all of it.
        await cluster.Nodes[replica].KillAsync();
        await Eventually.TrueAsync(() => cluster.Nodes[home].Output.Any(l => l.Contains("Failed over from epoch", StringComparison.Ordinal))
            || cluster.Nodes[third].Output.Any(l => l.Contains("Failed over from epoch", StringComparison.Ordinal)), TimeSpan.FromSeconds(30),
            () => $"no failover within 30 s of killing {TestCluster.NodeId(replica)}:\n{cluster.MembershipStory()}");
        // Acknowledged only once the new replica holds everything before it too.
        await sender.Client.SendAsync(recipientName, "after"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(60));
        var copies = cluster.Nodes[home].Output.Select(l => System.Text.RegularExpressions.Regex.Match(l, $@"to their replica {TestCluster.NodeId(third)}: \d+ records, (\d+) bytes"))
            .Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value));
        Assert.Contains(copies, bytes => bytes > 3_200_000); // the whole queue went by snapshot, past the 1 MiB bound

        await cluster.Nodes[home].KillAsync();
        await cluster.Nodes[third].KillAsync();
        using var store = new FasterStore(Path.Combine(cluster.Nodes[third].DataDirectory, "store"), 16, NullLogger.Instance);
        var user = Encoding.ASCII.GetBytes(recipientName);
        Assert.Equal(101, store.LiveKeys().Count(k => k[0] == (byte)'Q' && StoreKeys.TryGetUser(k, out var u) && u.SequenceEqual(user)));
    }

    [Fact]
    public Task Killing_a_primary_under_traffic_loses_no_acknowledged_message_and_shows_none_twice() =>
        UnderTrafficAsync(async f => await f.Cluster.Nodes[2].KillAsync());

    [Fact]
    public Task A_primary_killed_with_its_disk_lost_comes_back_empty_and_nothing_acknowledged_is_lost() =>
        UnderTrafficAsync(async f =>
        {
            var cluster = f.Cluster;
            await cluster.Nodes[2].KillAsync();
            await Eventually.TrueAsync(() => cluster.Nodes[0].Output.Any(l => l.Contains("Failed over from epoch", StringComparison.Ordinal)), TimeSpan.FromSeconds(30),
                () => $"seed {f.Seed}: no failover within 30 s:\n{cluster.MembershipStory()}");
            await cluster.RestartNodeAsync(2, wipe: true);
            // It joins as a new member: partitions are copied to it again, and it serves them.
            await Eventually.TrueAsync(() => cluster.OwnedBy(2) > 0, TimeSpan.FromSeconds(60));
        });

    [Fact]
    public Task A_node_killed_during_a_hand_off_and_restarted_loses_nothing() =>
        UnderTrafficAsync(async f =>
        {
            var cluster = f.Cluster;
            await cluster.AddNodeAsync(); // a 4th node joins: partitions start moving from the three
            await Eventually.TrueAsync(() => cluster.Nodes.Take(3).Any(n => n.Output.Any(l => l.Contains("Froze the partitions", StringComparison.Ordinal))), TimeSpan.FromSeconds(30));
            await Task.Delay(f.Random.Next(0, 200)); // a seeded moment inside the copy, not a wait for a condition
            await cluster.Nodes[2].KillAsync();
            await cluster.RestartNodeAsync(2, wipe: false); // the change waits for it; restarted, it copies again
            await Eventually.TrueAsync(() => cluster.CompletedChanges() > 0, TimeSpan.FromSeconds(60));
        });

    [Fact]
    public Task A_primary_cut_off_from_its_peers_and_etcd_is_replaced_acknowledges_nothing_more_and_stops_once_healed() =>
        UnderTrafficAsync(async f =>
        {
            var (cluster, victimEtcd) = (f.Cluster, f.VictimEtcd);
            var victim = cluster.Nodes[2];
            await using (await NftCut.PortAsync(victim.Port + 1000)) // every peer link to it (it has the largest id: the others dial it)
            {
                victimEtcd.Cut();
                await Eventually.TrueAsync(() => cluster.Nodes.Take(2).Any(n => n.Output.Any(l => l.Contains("Failed over from epoch", StringComparison.Ordinal))),
                    TimeSpan.FromSeconds(30), () => $"seed {f.Seed}: no failover within 30 s:\n{cluster.MembershipStory()}");
            }
            victimEtcd.Heal();
            // Back in touch, it learns it was replaced and stops without acknowledging what it held.
            await Eventually.TrueAsync(() => victim.HasExited, TimeSpan.FromSeconds(60));
            Assert.Contains(victim.Output, l => l.Contains("FATAL", StringComparison.Ordinal));
        });

    [Fact]
    public Task A_node_killed_and_restarted_on_its_disk_before_its_lease_expires_loses_nothing() =>
        // With three nodes and R=2 every node is a primary of some partitions and the replica of others:
        // this is the replica that vanishes and returns (catching up) rather than the one failed over.
        UnderTrafficAsync(async f =>
        {
            await f.Cluster.Nodes[1].KillAsync();
            await f.Cluster.RestartNodeAsync(1, wipe: false);
            await Eventually.TrueAsync(() => f.Cluster.Nodes[1].Output.Any(l => l.Contains("Reported in sync", StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
        });

    [Fact]
    public Task Restarting_etcd_under_traffic_loses_nothing() =>
        UnderTrafficAsync(async f =>
        {
            await f.Etcd.RestartAsync(() => Task.Delay(f.Random.Next(0, 2000))); // down for a seeded moment
            // The nodes keep their leases (etcd keeps them across a restart) and serve on.
            await Eventually.TrueAsync(() => f.Cluster.Nodes.All(n => !n.HasExited), TimeSpan.FromSeconds(5));
        });

    [Fact]
    public Task A_rolling_restart_of_every_node_under_traffic_loses_nothing_and_shows_nothing_twice() =>
        // An operator's upgrade: each node in turn drained with the command, started again on its disk,
        // and given its partitions back before the next one goes. Senders keep sending throughout.
        UnderTrafficAsync(async f =>
        {
            var cluster = f.Cluster;
            for (int i = cluster.Nodes.Count - 1; i >= 0; i--)
            {
                var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string>(), "drain", "--http", cluster.Nodes[i].HttpUrl);
                Assert.True(exit == 0, $"seed {f.Seed}: {output}");
                await cluster.RestartNodeAsync(i, wipe: false, samePort: true);
                await Eventually.TrueAsync(() => cluster.OwnedBy(i) > 0, TimeSpan.FromSeconds(60), $"seed {f.Seed}: node{i + 1} took no partitions back");
                await cluster.WaitForMeshAsync();
            }
        }, untilTheFaultEnds: true);

    [Fact]
    public async Task Drain_hands_a_nodes_partitions_and_queued_messages_to_the_others_then_stops_it()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, _ => Replicated);
        var entry = cluster.Nodes[0].Port;
        await using var sender = await TestClient.ConnectAsync(entry, "dr-s");
        // A recipient homed on node3, offline: its queue is what the drain must carry over.
        TestClient? recipient = null;
        for (int k = 0; recipient is null; k++)
        {
            var candidate = await TestClient.ConnectAsync(entry, $"dr-r{k}");
            if (candidate.Client.Server.Port == cluster.Nodes[2].Port) recipient = candidate;
            else await candidate.DisposeAsync();
        }
        string name = recipient.Client.UserName;
        byte[] key = recipient.PrivateKey;
        await recipient.DisposeAsync();
        await sender.Client.SendAsync(name, "kept"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(30));

        var node = cluster.Nodes[2];
        var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string>(), "drain", "--http", node.HttpUrl);
        Assert.True(exit == 0, output);
        Assert.Contains("draining node3", output);
        await Eventually.TrueAsync(() => node.HasExited, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.ExitCode);
        Assert.Contains(node.Output, l => l.Contains("Left the cluster", StringComparison.Ordinal));

        await using var back = await TestClient.ConnectAsync(entry, name, key);
        Assert.NotEqual(node.Port, back.Client.Server.Port);
        await Eventually.TrueAsync(() => back.Messages.Any(m => m.From == "dr-s"), TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Senders and receivers on three nodes, paced traffic, a fault in the middle; then the history:
    /// every acknowledged message shown exactly once, in order per sender. The fault's moment comes
    /// from a seed (FASTCHAT_FAULT_SEED replays one), named in every failure.
    /// </summary>
    private static async Task UnderTrafficAsync(Func<Fault, Task> fault, bool untilTheFaultEnds = false)
    {
        const int pairs = 8, perSender = 40, cap = 4000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTCHAT_FAULT_SEED"), out int given) ? given : Random.Shared.Next();
        var random = new Random(seed);
        await using var etcd = await EtcdServer.StartAsync();
        await using var victimEtcd = new TcpProxy(etcd.ClientPort);
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, i =>
            [.. Replicated, "--FastChat:Cluster:LeaseTtlSeconds=5", .. i == 2 ? [$"--FastChat:Cluster:Etcd={victimEtcd.Endpoint}"] : Array.Empty<string>()]);
        var entry = cluster.Nodes[0].Port; // the seed every client returns to; faults hit other nodes
        int victim = cluster.Nodes[2].Port;
        await Eventually.TrueAsync(() => cluster.Nodes.All(n => n.Output.Any(l => l.Contains("Reported in sync", StringComparison.Ordinal))), TimeSpan.FromSeconds(30));

        var senders = new List<TestClient>();
        var receivers = new List<TestClient>();
        try
        {
            for (int k = 0; k < pairs; k++)
            {
                senders.Add(await TestClient.ConnectAsync(entry, $"fo-s{k}"));
                receivers.Add(await TestClient.ConnectAsync(entry, $"fo-r{k}"));
            }
            Assert.Contains(senders.Concat(receivers), u => u.Client.Server.Port == victim); // 16 names over 3 nodes

            var acked = Enumerable.Range(0, pairs).Select(_ => new System.Collections.Concurrent.ConcurrentDictionary<int, bool>()).ToArray();
            var issued = new int[pairs];
            bool faultOver = false;
            var traffic = Task.WhenAll(Enumerable.Range(0, pairs).Select(async k =>
            {
                var sends = new List<Task>();
                for (int n = 0; n < perSender || (untilTheFaultEnds && !Volatile.Read(ref faultOver) && n < cap); n++)
                {
                    issued[k] = n + 1;
                    int index = n;
                    var send = senders[k].Client.SendAsync(receivers[k].Client.UserName, Encoding.UTF8.GetBytes($"{k}:{n}"));
                    sends.Add(send.ContinueWith(t => { if (t.IsCompletedSuccessfully) acked[k][index] = true; }, TaskScheduler.Default));
                    await Task.Delay(50); // pacing, so the fault lands mid-stream
                }
                await Task.WhenAll(sends);
            }));
            int before = random.Next(pairs * 2, pairs * 10);
            await Eventually.TrueAsync(() => acked.Sum(a => a.Count) >= before, TimeSpan.FromSeconds(20));
            await fault(new Fault(cluster, random, seed, victimEtcd, etcd));
            Volatile.Write(ref faultOver, true);

            try
            {
                await traffic.WaitAsync(TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"seed {seed}: sends still without ✓ after 120 s: " + string.Join("; ", Enumerable.Range(0, pairs)
                    .Select(k => $"{senders[k].Client.UserName} ({senders[k].Client.Server.Port}) {string.Join(",", Enumerable.Range(0, issued[k]).Where(n => !acked[k].ContainsKey(n)).Take(10))}")));
            }
            for (int k = 0; k < pairs; k++)
            {
                var receiver = receivers[k];
                var sent = acked[k];
                string from = senders[k].Client.UserName;
                int[] Shown() => receiver.Messages.Where(m => m.From == from).Select(m => int.Parse(Encoding.UTF8.GetString(m.Payload).Split(':')[1])).ToArray();
                await Eventually.TrueAsync(() => sent.Keys.All(Shown().Contains), TimeSpan.FromSeconds(30),
                    () => $"seed {seed}: {receiver.Client.UserName} is missing acknowledged {string.Join(",", sent.Keys.Except(Shown()).Order())}");
                var shown = Shown();
                Assert.True(shown.Distinct().Count() == shown.Length, $"seed {seed}: {receiver.Client.UserName} was shown a message twice");
                Assert.True(shown.Order().SequenceEqual(shown), $"seed {seed}: {receiver.Client.UserName} was shown messages out of order");
            }
            Assert.True(acked.Sum(a => a.Count) > pairs * perSender / 2, $"seed {seed}: only {acked.Sum(a => a.Count)} sends acknowledged");
        }
        finally
        {
            foreach (var user in senders.Concat(receivers)) await user.DisposeAsync();
        }
    }

    /// <summary>What a fault acts on: the cluster, the seeded random source (and its seed, for messages), the relay through which node3 reaches etcd (to cut it), and etcd itself.</summary>
    private sealed record Fault(TestCluster Cluster, Random Random, int Seed, TcpProxy VictimEtcd, EtcdServer Etcd);
}
