using System.Text;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>
/// Ownership changes under traffic, with real processes and a real etcd: a node joins and a node
/// leaves gracefully; the partitions that move take their queues, accounts and marks along, and
/// every acknowledged message arrives once, in order.
/// </summary>
public class OwnershipChangeTests
{
    private const int Pairs = 12;
    private const int PerSender = 40;

    [Fact]
    public async Task A_fourth_node_joins_under_traffic_and_a_quarter_of_the_partitions_move_with_their_data()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var entry = cluster.Nodes[0].Port;
        var (senders, receivers) = await ConnectPairsAsync(entry, "j");
        try
        {
            // Offline mail for users who will be gone while the partitions move.
            var offline = await ConnectAsync(entry, "j-offline", 24);
            var offlineKeys = offline.Select(o => (o.Client.UserName, o.PrivateKey)).ToArray();
            foreach (var user in offline) await user.DisposeAsync();
            foreach (var (name, _) in offlineKeys)
                await senders[0].Client.SendAsync(name, Encoding.UTF8.GetBytes($"kept for {name}")).WaitAsync(TimeSpan.FromSeconds(10));

            var traffic = SendAllAsync(senders, receivers);
            await Eventually.TrueAsync(() => senders.All(s => s.Receipts.Count + s.Client.PendingCount > 0) || traffic.IsCompleted, TimeSpan.FromSeconds(20));
            await cluster.AddNodeAsync();
            await Eventually.TrueAsync(() => cluster.CompletedChanges() > 0 && cluster.OwnedBy(3) > 0, TimeSpan.FromSeconds(60),
                () => "no completed change:\n" + string.Join("\n---\n", cluster.Nodes.Select(n => string.Join("\n", n.Output.TakeLast(25)))));

            // A quarter of 4096 partitions moved to the new node, and only to it.
            int owned = cluster.OwnedBy(3);
            Assert.InRange(owned, 4096 / 4 - 120, 4096 / 4 + 120);

            await traffic.WaitAsync(TimeSpan.FromSeconds(90));
            await AssertDeliveredOnceInOrderAsync(senders, receivers);

            // Offline mail moved with its partitions: each user finds it on its home, old or new.
            var back = new List<TestClient>();
            try
            {
                foreach (var (name, key) in offlineKeys) back.Add(await TestClient.ConnectAsync(entry, name, key));
                foreach (var user in back)
                    Assert.Equal($"kept for {user.Client.UserName}", Encoding.UTF8.GetString((await user.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20)))[0].Payload));
                Assert.Contains(back.Concat(senders).Concat(receivers), u => u.Client.Server.Port == cluster.Nodes[3].Port);
            }
            finally { foreach (var user in back) await user.DisposeAsync(); }
        }
        finally { await DisposeAllAsync(senders, receivers); }
    }

    [Fact]
    public async Task A_node_leaving_gracefully_hands_its_partitions_to_the_others_under_traffic()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var entry = cluster.Nodes[0].Port;
        var leaving = cluster.Nodes[2];
        var (senders, receivers) = await ConnectPairsAsync(entry, "l");
        try
        {
            var offline = await ConnectAsync(entry, "l-offline", 24);
            var offlineKeys = offline.Where(o => o.Client.Server.Port == leaving.Port).Select(o => (o.Client.UserName, o.PrivateKey)).ToArray();
            Assert.NotEmpty(offlineKeys); // 24 names over 3 nodes: some are homed on the one that leaves
            foreach (var user in offline) await user.DisposeAsync();
            foreach (var (name, _) in offlineKeys)
                await senders[0].Client.SendAsync(name, Encoding.UTF8.GetBytes($"kept for {name}")).WaitAsync(TimeSpan.FromSeconds(10));

            var traffic = SendAllAsync(senders, receivers);
            await Eventually.TrueAsync(() => senders.All(s => s.Receipts.Count + s.Client.PendingCount > 0) || traffic.IsCompleted, TimeSpan.FromSeconds(20));
            Assert.Equal(0, await leaving.TerminateAsync(TimeSpan.FromSeconds(90)));
            Assert.Contains(leaving.Output, l => l.Contains("Left the cluster", StringComparison.Ordinal));
            await Eventually.TrueAsync(() => cluster.OwnedBy(0) + cluster.OwnedBy(1) == 4096, TimeSpan.FromSeconds(30));

            await traffic.WaitAsync(TimeSpan.FromSeconds(90));
            await AssertDeliveredOnceInOrderAsync(senders, receivers);
            Assert.All(senders.Concat(receivers), u => Assert.NotEqual(leaving.Port, u.Client.Server.Port));

            var back = new List<TestClient>();
            try
            {
                foreach (var (name, key) in offlineKeys) back.Add(await TestClient.ConnectAsync(entry, name, key));
                foreach (var user in back)
                    Assert.Equal($"kept for {user.Client.UserName}", Encoding.UTF8.GetString((await user.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20)))[0].Payload));
            }
            finally { foreach (var user in back) await user.DisposeAsync(); }
        }
        finally { await DisposeAllAsync(senders, receivers); }
    }

    private static async Task<List<TestClient>> ConnectAsync(int entry, string prefix, int count)
    {
        var users = new List<TestClient>();
        for (int i = 0; i < count; i++) users.Add(await TestClient.ConnectAsync(entry, $"{prefix}{i}"));
        return users;
    }

    private static async Task<(List<TestClient> Senders, List<TestClient> Receivers)> ConnectPairsAsync(int entry, string prefix) =>
        (await ConnectAsync(entry, $"{prefix}-s", Pairs), await ConnectAsync(entry, $"{prefix}-r", Pairs));

    /// <summary>Each sender writes to its receiver, paced so the change happens mid-stream; the SDK resends what was not acknowledged.</summary>
    private static Task SendAllAsync(List<TestClient> senders, List<TestClient> receivers) =>
        Task.WhenAll(Enumerable.Range(0, Pairs).Select(async k =>
        {
            var sends = new List<Task<ulong>>();
            for (int n = 0; n < PerSender; n++)
            {
                sends.Add(senders[k].Client.SendAsync(receivers[k].Client.UserName, Encoding.UTF8.GetBytes($"{k}:{n}")));
                await Task.Delay(50); // pacing, not waiting for anything
            }
            await Task.WhenAll(sends);
        }));

    private static async Task AssertDeliveredOnceInOrderAsync(List<TestClient> senders, List<TestClient> receivers)
    {
        for (int k = 0; k < Pairs; k++)
        {
            var receiver = receivers[k];
            await Eventually.TrueAsync(() => receiver.Messages.Count(m => m.From == senders[k].Client.UserName) >= PerSender, TimeSpan.FromSeconds(30),
                () => $"{receiver.Client.UserName} (on port {receiver.Client.Server.Port}) has {receiver.Messages.Count} of {PerSender}; missing: "
                    + string.Join(", ", Enumerable.Range(0, PerSender).Select(n => $"{k}:{n}").Except(receiver.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)))));
            var got = receiver.Messages.Where(m => m.From == senders[k].Client.UserName).Select(m => Encoding.UTF8.GetString(m.Payload)).ToArray();
            Assert.Equal(Enumerable.Range(0, PerSender).Select(n => $"{k}:{n}"), got);
        }
    }

    private static async Task DisposeAllAsync(params List<TestClient>[] groups)
    {
        foreach (var group in groups)
            foreach (var user in group) await user.DisposeAsync();
    }
}
