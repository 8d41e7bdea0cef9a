using System.Collections.Concurrent;
using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Presence and typing on a 3-node mesh with a real etcd: the subject's home pushes to watchers connected to other nodes.</summary>
public class MeshPresenceTests
{
    [Fact]
    public async Task A_users_home_tells_watchers_on_other_nodes_and_typing_crosses_the_mesh()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, _ => ["--FastChat:Presence:CoalesceWindow=00:00:00.050"]);
        await cluster.WaitForMeshAsync();
        var entry = cluster.Nodes[0];
        var users = new List<TestClient>();
        var presence = new ConcurrentDictionary<string, ConcurrentQueue<PresenceBody>>();
        var typing = new ConcurrentDictionary<string, ConcurrentQueue<TypingNotice>>();
        try
        {
            // Users until three of them are homed on three different nodes.
            for (int i = 0; i < 64 && users.Select(u => u.Client.Server.Port).Distinct().Count() < 3; i++)
            {
                var user = TestClient.Create(entry.Port, $"pm{i}");
                var seen = presence.GetOrAdd(user.Client.UserName, _ => new());
                user.Client.PresenceChanged += seen.Enqueue;
                var typed = typing.GetOrAdd(user.Client.UserName, _ => new());
                user.Client.TypingChanged += typed.Enqueue;
                if ((await user.Client.ConnectAsync()).State == WelcomeState.RegistrationRequired) await user.Client.RegisterAsync(null);
                users.Add(user);
            }
            var byNode = users.GroupBy(u => u.Client.Server.Port).Select(g => g.First()).ToList();
            Assert.Equal(3, byNode.Count);
            var (subject, watcher, other) = (byNode[0], byNode[1], byNode[2]);
            string name = subject.Client.UserName;
            PresenceBody[] Seen(TestClient who) => presence[who.Client.UserName].Where(p => p.User == name).ToArray();
            Task Latest(TestClient who, PresenceState state) => Eventually.TrueAsync(() => Seen(who) is { Length: > 0 } all && all[^1].State == state,
                TimeSpan.FromSeconds(15), () => $"{who.Client.UserName} (port {who.Client.Server.Port}) saw [{string.Join(", ", Seen(who).Select(p => p.State))}] of {name} (port {subject.Client.Server.Port})");

            // Only the watcher's contacts see: the other node's user is hidden from.
            Assert.Equal(PresenceStatusCode.Done, (await subject.Client.SetPresenceSettingsAsync(PresenceVisibility.Contacts, [watcher.Client.UserName])).Status);
            Assert.Equal(PresenceStatusCode.Done, (await watcher.Client.WatchPresenceAsync([name])).Status);
            Assert.Equal(PresenceStatusCode.Done, (await other.Client.WatchPresenceAsync([name])).Status);
            await Latest(watcher, PresenceState.Online);
            await Latest(other, PresenceState.Hidden);

            await subject.Client.DisposeAsync();
            await Latest(watcher, PresenceState.Offline);
            Assert.True(Seen(watcher)[^1].LastSeenMs > 0);

            // Typing from the watcher's node to a user homed on a third node.
            watcher.Client.SendTyping(other.Client.UserName, true);
            await Eventually.TrueAsync(() => typing[other.Client.UserName].Any(t => t.From == watcher.Client.UserName && t.IsTyping), TimeSpan.FromSeconds(15),
                because: "the typing notice did not cross the mesh");
            Assert.All(Seen(other), p => Assert.Equal(PresenceState.Hidden, p.State));
        }
        finally
        {
            foreach (var user in users) await user.DisposeAsync();
        }
    }
}
