using System.Collections.Concurrent;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Groups on a 3-node mesh with a real etcd: a change at the group's home reaches members homed on the other nodes.</summary>
public class MeshGroupTests
{
    [Fact]
    public async Task A_change_at_the_groups_home_reaches_members_on_other_nodes_and_other_nodes_say_where_it_is_not()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        await cluster.WaitForMeshAsync();
        var entry = cluster.Nodes[0];
        var users = new List<TestClient>();
        var events = new ConcurrentDictionary<string, ConcurrentQueue<GroupEvent>>();
        var messages = new ConcurrentDictionary<string, ConcurrentQueue<FastChat.Client.IncomingGroupMessage>>();
        try
        {
            // Members homed on at least two different nodes.
            for (int i = 0; i < 64 && users.Select(u => u.Client.Server.Port).Distinct().Count() < 3; i++)
            {
                var user = await TestClient.ConnectAsync(entry.Port, $"gm{i}");
                var queue = events.GetOrAdd(user.Client.UserName, _ => new());
                user.Client.GroupChanged += (_, e) => queue.Enqueue(e);
                var inbox = messages.GetOrAdd(user.Client.UserName, _ => new());
                user.Client.GroupMessageReceived += inbox.Enqueue;
                users.Add(user);
            }
            var admin = users[0];
            var others = users.Skip(1).Where(u => u.Client.Server.Port != admin.Client.Server.Port).Take(3).ToList();
            Assert.NotEmpty(others);

            // A group id whose home is the admin's node: the others answer unavailable, saying why.
            byte[] group = [];
            GroupResultBody result = null!;
            var refusals = new List<GroupResultBody>();
            for (int i = 0; i < 40; i++)
            {
                group = FastChat.Client.FastChatClient.NewGroupId();
                result = await admin.Client.ChangeGroupAsync(GroupOp.Create, group, others.Select(o => o.Client.UserName).ToList(), "across the mesh");
                if (result.Status == GroupStatusCode.Done) break;
                refusals.Add(result);
            }
            Assert.True(result.Status == GroupStatusCode.Done, string.Join("; ", refusals.Select(r => r.Message).Distinct()) + " " + cluster.MembershipStory());
            Assert.All(refusals, r => Assert.Equal(GroupStatusCode.Unavailable, r.Status));
            foreach (var other in others)
                await Eventually.TrueAsync(() => events[other.Client.UserName].Any(e => e.Version == 1 && e.Name == "across the mesh"), TimeSpan.FromSeconds(15),
                    because: $"{other.Client.UserName} (on port {other.Client.Server.Port}) was not told");

            // A member on another node sends: its node forwards to the group's home, which fans out to every node.
            var sender = others[0];
            await sender.Client.SendToGroupAsync(group, "through the home"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(15));
            foreach (var member in others.Skip(1).Append(admin))
                await Eventually.TrueAsync(() => messages[member.Client.UserName].Any(m => m.From == sender.Client.UserName), TimeSpan.FromSeconds(15),
                    because: $"{member.Client.UserName} (on port {member.Client.Server.Port}) did not get the group message");
            Assert.Empty(messages[sender.Client.UserName]);
        }
        finally
        {
            foreach (var user in users) await user.DisposeAsync();
        }
    }
}
