using System.Net;
using System.Text.Json;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Every node's HTTP port for operators: Prometheus metrics, health and readiness, the cluster report and the admin command that reads it.</summary>
public class OperatorEndpointTests
{
    [Fact]
    public async Task Cluster_nodes_serve_metrics_health_and_their_view_of_the_ring_and_links()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        await using (var alice = await TestClient.ConnectAsync(cluster.Nodes[0].Port, "ops-alice"))
        await using (var bob = await TestClient.ConnectAsync(cluster.Nodes[0].Port, "ops-bob"))
            await alice.Client.SendAsync("ops-bob", "hi"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var node = cluster.Nodes[1];
        string url = $"http://127.0.0.1:{node.Port + 2000}"; // the default: client port + 2000

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{url}/health/live")).StatusCode);
        var ready = await http.GetAsync($"{url}/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // The FastChat.Server meter through prometheus-net: server counters and the mesh's own.
        var metrics = await http.GetStringAsync($"{url}/metrics");
        Assert.Contains("fastchat_connections_opened", metrics);
        Assert.Contains("fastchat_cluster_partitions_owned", metrics);
        Assert.Contains("fastchat_peer_connected", metrics);

        using var report = JsonDocument.Parse(await http.GetStringAsync($"{url}/cluster"));
        var root = report.RootElement;
        Assert.Equal("node2", root.GetProperty("self").GetString());
        Assert.Equal(4096, root.GetProperty("members").EnumerateArray().Sum(m => m.GetProperty("owns").GetInt32()));
        Assert.Equal(["node1", "node3"], root.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("peer").GetString()!).Order());
        Assert.All(root.GetProperty("links").EnumerateArray(), l => Assert.True(l.GetProperty("connected").GetBoolean()));

        var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string>(), "cluster", "--http", url);
        Assert.True(exit == 0, output);
        Assert.Contains("node node2: epoch", output);
        Assert.Matches(@"node1\s+live\s+\d+", output);
        Assert.Matches(@"node3\s+up\s+", output);
    }
}
