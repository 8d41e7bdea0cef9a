using System.Text;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

public class ClusterHarnessTests
{
    [Fact]
    public async Task Three_nodes_run_side_by_side_and_losing_one_leaves_the_others_serving()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        Assert.Equal(3, cluster.Nodes.Select(n => n.Port).Distinct().Count());
        Assert.Equal(3, cluster.Nodes.Select(n => n.DataDirectory).Distinct().Count());

        await cluster.Nodes[1].KillAsync();
        foreach (var node in new[] { cluster.Nodes[0], cluster.Nodes[2] })
        {
            await using var alice = await TestClient.ConnectAsync(node.Port, "alice");
            await using var bob = await TestClient.ConnectAsync(node.Port, "bob");
            await alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"on {node.Port}")).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal($"on {node.Port}", Encoding.UTF8.GetString((await bob.WaitForMessagesAsync(1))[0].Payload));
        }
    }
}
