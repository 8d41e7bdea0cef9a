using System.Text;
using System.Text.RegularExpressions;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Faults and hostile peers against 3 real nodes and a real etcd.</summary>
public class MeshFaultTests
{
    private static int PeerPort(ServerProcess node) => node.Port + 1000;

    private static string ServerKey(ServerProcess node) =>
        node.Output.Select(l => Regex.Match(l, "FastChat server key ([0-9a-f]{64})")).First(m => m.Success).Groups[1].Value;

    /// <summary>Connects users through node 1 until two have different homes.</summary>
    private static async Task<(TestClient A, TestClient B, List<TestClient> All)> TwoHomesAsync(TestCluster cluster)
    {
        var all = new List<TestClient>();
        for (int i = 0; i < 64; i++)
        {
            var user = await TestClient.ConnectAsync(cluster.Nodes[0].Port, $"u{i}-{Guid.NewGuid():N}"[..12]);
            all.Add(user);
            var other = all.FirstOrDefault(u => u.Client.Server.Port != user.Client.Server.Port);
            if (other is not null) return (other, user, all);
        }
        throw new InvalidOperationException("64 users, one home");
    }

    [Fact]
    public async Task A_peer_presenting_a_key_that_no_member_record_has_is_refused()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var node3 = cluster.Nodes[2];

        // Claims to be node1 (which does dial node3) but holds a fresh key.
        await using var impostor = await RawConnection.OpenAsync(PeerPort(node3));
        await impostor.HandshakeAsync("node1", TestClient.NewKey());
        await Assert.ThrowsAnyAsync<Exception>(() => impostor.ReadRawMessageAsync()); // closed: no HELLO, no record
        await Eventually.TrueAsync(() => node3.Output.Any(l => l.Contains("Refused a peer connection", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));

        // The real links were not disturbed.
        var (a, b, all) = await TwoHomesAsync(cluster);
        try
        {
            await a.Client.SendAsync(b.Client.UserName, "still fine"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("still fine", Encoding.UTF8.GetString((await b.WaitForMessagesAsync(1))[0].Payload));
        }
        finally { foreach (var c in all) await c.DisposeAsync(); }
    }

    [Fact]
    public async Task A_login_on_a_node_that_is_not_the_users_home_is_redirected_there_with_its_key()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var entry = cluster.Nodes[0];
        for (int i = 0; ; i++)
        {
            Assert.True(i < 64, "no user homed away from node1 among 64");
            await using var raw = await RawConnection.OpenAsync(entry.Port);
            await raw.HandshakeAsync($"visitor{i}", TestClient.NewKey());
            var frames = await raw.ReadFramesAsync();
            var first = frames[0];
            if (first.Type == (byte)FrameType.Welcome) continue; // homed here
            Assert.Equal((byte)FrameType.Redirect, first.Type);
            Assert.True(RedirectBody.TryParse(first.Body, out var redirect));
            var home = Assert.Single(cluster.Nodes, n => n.Port == redirect.Port);
            Assert.NotSame(entry, home);
            Assert.Equal("127.0.0.1", redirect.Host);
            Assert.Equal(ServerKey(home), Convert.ToHexString(redirect.ServerKey).ToLowerInvariant());
            var disconnect = frames.Count > 1 ? frames[1].Body : await raw.ReadUntilAsync(FrameType.Disconnect);
            if (frames.Count > 1) Assert.Equal((byte)FrameType.Disconnect, frames[1].Type);
            Assert.True(DisconnectBody.TryParse(disconnect, out var body));
            Assert.Equal(ErrorCode.Redirect, body.Code);
            return;
        }
    }

    [Fact]
    public async Task A_cut_peer_link_delays_messages_but_loses_and_duplicates_none()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var (alice, bob, all) = await TwoHomesAsync(cluster);
        var bobHome = cluster.Nodes.Single(n => n.Port == bob.Client.Server.Port);
        var aliceHome = cluster.Nodes.Single(n => n.Port == alice.Client.Server.Port);
        // The link between the two homes ends on the larger id's peer port (the smaller id dials).
        int aliceIndex = cluster.Nodes.ToList().IndexOf(aliceHome), bobIndex = cluster.Nodes.ToList().IndexOf(bobHome);
        var accepter = cluster.Nodes[Math.Max(aliceIndex, bobIndex)];
        string accepterId = TestCluster.NodeId(Math.Max(aliceIndex, bobIndex));
        NftCut? cut = null;
        try
        {
            await alice.Client.SendAsync(bob.Client.UserName, "before"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            await bob.WaitForMessagesAsync(1);

            // Drop every packet to and from the accepter's peer port: no FIN, no RST — a partition.
            cut = await NftCut.PortAsync(PeerPort(accepter));
            var sends = Enumerable.Range(0, 50).Select(n => alice.Client.SendAsync(bob.Client.UserName, Encoding.UTF8.GetBytes($"during {n}"))).ToArray();
            // The heartbeat notices the silent link and closes it on both sides.
            var dialer = cluster.Nodes[Math.Min(aliceIndex, bobIndex)];
            await Eventually.TrueAsync(() => Downs(dialer, accepterId) > 0, TimeSpan.FromSeconds(20), "the cut link was not noticed");
            Assert.DoesNotContain(sends, s => s.IsCompletedSuccessfully); // no ✓ while the home is unreachable
            Assert.Single(bob.Messages);

            await cut.DisposeAsync();
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
            var got = await bob.WaitForMessagesAsync(51, TimeSpan.FromSeconds(20));
            Assert.Equal(Enumerable.Range(0, 50).Select(n => $"during {n}"), got.Skip(1).Select(m => Encoding.UTF8.GetString(m.Payload)));
            // Repeats (a forward resent after the cut) never reach the user twice.
            await alice.Client.SendAsync(bob.Client.UserName, "after"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => bob.Messages.Count == 52, TimeSpan.FromSeconds(10));
            Assert.Equal(52, bob.Messages.Select(m => m.MessageId).Distinct().Count());
        }
        finally
        {
            if (cut is not null) await cut.DisposeAsync();
            foreach (var c in all) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task While_etcd_is_down_the_cluster_keeps_serving_on_its_last_view()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        var (alice, bob, all) = await TwoHomesAsync(cluster);
        try
        {
            await etcd.StopAsync();
            await Eventually.TrueAsync(() => cluster.Nodes.All(n => n.Output.Any(l => l.Contains("serving on the last view", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(30), "the nodes did not notice etcd was gone");
            for (int n = 0; n < 20; n++) await alice.Client.SendAsync(bob.Client.UserName, Encoding.UTF8.GetBytes($"no etcd {n}")).WaitAsync(TimeSpan.FromSeconds(10));
            await bob.WaitForMessagesAsync(20);

            await etcd.RestartAsync();
            await alice.Client.SendAsync(bob.Client.UserName, "etcd back"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            await bob.WaitForMessagesAsync(21);
            Assert.Equal(21, bob.Messages.Select(m => m.MessageId).Distinct().Count());
        }
        finally { foreach (var c in all) await c.DisposeAsync(); }
    }

    private static int Downs(ServerProcess node, string peer) =>
        node.Output.Count(l => l.Contains($"Peer link to {peer} down.", StringComparison.Ordinal));
}
