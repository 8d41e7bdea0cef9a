using System.Text;
using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Three real server processes and a real etcd on loopback: users homed on different nodes chat.</summary>
public class MeshMessagingTests
{
    [Fact]
    public async Task Users_homed_on_different_nodes_chat_with_receipts_and_offline_delivery()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var entry = cluster.Nodes[0].Port;

        // Everyone dials node 1; the SDK follows the redirect to its home node.
        var users = new List<TestClient>();
        try
        {
            for (int i = 0; users.Select(u => u.Client.Server.Port).Distinct().Count() < 3 && i < 64; i++)
                users.Add(await TestClient.ConnectAsync(entry, $"user{i}"));
            var homes = users.GroupBy(u => u.Client.Server.Port).ToDictionary(g => g.Key, g => g.First());
            Assert.Equal(3, homes.Count); // 64 names over 3 nodes: some land on each
            Assert.All(homes.Keys, port => Assert.Contains(cluster.Nodes, n => n.Port == port));

            var alice = homes.Values.ElementAt(0);
            var bob = homes.Values.ElementAt(1);
            Assert.NotEqual(alice.Client.Server, bob.Client.Server);

            // ✓ (the send completes once bob's home has it durably), then ✓✓ and read back to alice.
            ulong id = await alice.Client.SendAsync(bob.Client.UserName, Encoding.UTF8.GetBytes("across the mesh")).WaitAsync(TimeSpan.FromSeconds(10));
            var got = await bob.WaitForMessagesAsync(1);
            Assert.Equal("across the mesh", Encoding.UTF8.GetString(got[0].Payload));
            Assert.Equal(alice.Client.UserName, got[0].From);
            await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == ReceiptKind.Delivered && r.MessageId == id), TimeSpan.FromSeconds(10));
            await bob.Client.MarkReadAsync(alice.Client.UserName, id).WaitAsync(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == ReceiptKind.Read && r.MessageId == id), TimeSpan.FromSeconds(10));

            // Order kept across the link: 200 messages arrive once each, in order.
            var sends = Enumerable.Range(0, 200).Select(n => alice.Client.SendAsync(bob.Client.UserName, Encoding.UTF8.GetBytes($"m{n}"))).ToArray();
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
            var all = await bob.WaitForMessagesAsync(201, TimeSpan.FromSeconds(20));
            Assert.Equal(Enumerable.Range(0, 200).Select(n => $"m{n}"), all.Skip(1).Select(m => Encoding.UTF8.GetString(m.Payload)));

            // Offline across nodes: carol (third home) leaves, alice writes, carol returns and gets it.
            var carol = homes.Values.ElementAt(2);
            var carolKey = carol.PrivateKey;
            string carolName = carol.Client.UserName;
            users.Remove(carol);
            await carol.DisposeAsync();
            await alice.Client.SendAsync(carolName, Encoding.UTF8.GetBytes("while you were out")).WaitAsync(TimeSpan.FromSeconds(10));
            await using var back = await TestClient.ConnectAsync(entry, carolName, carolKey);
            Assert.Equal("while you were out", Encoding.UTF8.GetString((await back.WaitForMessagesAsync(1))[0].Payload));

            // Unknown users are refused by their home, through the sender's node.
            var refused = await Assert.ThrowsAsync<FastChatException>(() => alice.Client.SendAsync("nobody-here", "x"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(FastChat.Protocol.Wire.ErrorCode.UnknownRecipient, refused.Code);
        }
        finally
        {
            foreach (var user in users) await user.DisposeAsync();
        }
    }
}
