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

    [Fact]
    public async Task A_200_member_group_across_three_nodes_reaches_everyone_offline_ones_when_they_return_and_not_those_removed()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        await cluster.WaitForMeshAsync();
        const int Members = 200, Offline = 30;
        var inboxes = new ConcurrentDictionary<string, ConcurrentQueue<FastChat.Client.IncomingGroupMessage>>();
        var keys = new Dictionary<string, byte[]>();
        var online = new List<TestClient>();
        try
        {
            async Task<TestClient> ConnectAsync(string name)
            {
                var client = TestClient.Create(cluster.Nodes[online.Count % 3].Port, name, keys[name]);
                var inbox = inboxes.GetOrAdd(name, _ => new());
                client.Client.GroupMessageReceived += inbox.Enqueue;
                if ((await client.Client.ConnectAsync()).State == WelcomeState.RegistrationRequired) await client.Client.RegisterAsync(null);
                return client;
            }
            for (int i = 0; i < Members; i++)
            {
                string name = $"big{i:D3}";
                keys[name] = TestClient.NewKey();
                online.Add(await ConnectAsync(name));
            }
            Assert.Equal(3, online.Select(u => u.Client.Server.Port).Distinct().Count()); // homed on all three nodes
            // The last 30 go offline; they are members all the same.
            foreach (var gone in online.Skip(Members - Offline).ToList())
            {
                await gone.DisposeAsync();
                online.Remove(gone);
            }
            var admin = online[0];
            byte[] group = [];
            for (int attempt = 0; attempt < 40; attempt++)
            {
                group = FastChat.Client.FastChatClient.NewGroupId(); // until one is homed at the admin's node
                var created = await admin.Client.ChangeGroupAsync(GroupOp.Create, group, keys.Keys.Skip(1).ToList(), "two hundred");
                if (created.Status == GroupStatusCode.Done) break;
                Assert.Equal(GroupStatusCode.Unavailable, created.Status);
            }
            Assert.Equal((GroupStatusCode.Done, Members), ((await admin.Client.QueryGroupAsync(group)).Status, (await admin.Client.QueryGroupAsync(group)).Members.Count));

            // A member homed elsewhere sends: every other online member has it, once.
            var sender = online.First(u => u.Client.Server.Port != admin.Client.Server.Port);
            ulong first = await sender.Client.SendToGroupAsync(group, "hello all"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(15));
            int Have(string name, ulong id) => inboxes[name].Count(m => m.MessageId == id && m.From == sender.Client.UserName);
            var others = online.Where(u => u != sender).Select(u => u.Client.UserName).ToList();
            await Eventually.TrueAsync(() => others.All(n => Have(n, first) == 1), TimeSpan.FromSeconds(30),
                () => $"{others.Count(n => Have(n, first) == 1)} of {others.Count} online members have it");
            Assert.Equal(0, Have(sender.Client.UserName, first));

            // Removed: the first offline member; the rest of the offline ones get the message when they come back, the removed one does not get what follows.
            var removed = keys.Keys.Skip(Members - Offline).First();
            Assert.Equal(GroupStatusCode.Done, (await admin.Client.ChangeGroupAsync(GroupOp.Remove, group, [removed])).Status);
            ulong second = await sender.Client.SendToGroupAsync(group, "after the removal"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(15));
            foreach (var name in keys.Keys.Skip(Members - Offline)) online.Add(await ConnectAsync(name));
            var returned = keys.Keys.Skip(Members - Offline + 1).ToList();
            await Eventually.TrueAsync(() => returned.All(n => Have(n, first) == 1 && Have(n, second) == 1), TimeSpan.FromSeconds(30),
                () => $"{returned.Count(n => Have(n, first) == 1 && Have(n, second) == 1)} of {returned.Count} returning members have both");
            await Eventually.TrueAsync(() => Have(removed, first) == 1, TimeSpan.FromSeconds(30), because: "the removed member had the message from before its removal");
            await Eventually.TrueAsync(() => others.All(n => Have(n, second) == 1), TimeSpan.FromSeconds(30));
            Assert.Equal(0, Have(removed, second));
        }
        finally
        {
            foreach (var user in online) await user.DisposeAsync();
        }
    }
}
