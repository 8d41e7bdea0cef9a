using FastChat.Client;
using System.Collections.Concurrent;
using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>Group membership at the group's home over real TCP (protocol-spec/14-groups.md): changes, their rules and announcements, durability.</summary>
public class GroupTests
{
    private sealed class Member : IAsyncDisposable
    {
        public required TestClient Connection { get; init; }
        public ConcurrentQueue<(string From, GroupEvent Event)> Events { get; } = new();
        public ConcurrentQueue<FastChat.Client.IncomingGroupMessage> GroupMessages { get; } = new();
        public FastChat.Client.FastChatClient Client => Connection.Client;

        public static async Task<Member> ConnectAsync(int port, string user, byte[]? key = null)
        {
            var connection = TestClient.Create(port, user, key);
            var member = new Member { Connection = connection };
            connection.Client.GroupChanged += (from, e) => member.Events.Enqueue((from, e));
            connection.Client.GroupMessageReceived += member.GroupMessages.Enqueue;
            var welcome = await connection.Client.ConnectAsync();
            if (welcome.State == WelcomeState.RegistrationRequired) await connection.Client.RegisterAsync(null);
            return member;
        }

        public async Task<GroupEvent> EventAsync(ulong version)
        {
            await Eventually.TrueAsync(() => Events.Any(e => e.Event.Version == version), because: $"no group event {version} at {Client.UserName}/{Client.DeviceId}");
            return Events.First(e => e.Event.Version == version).Event;
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private static string[] Names(GroupEvent e) => e.Members.Select(m => m.User + (m.Admin ? "*" : "")).ToArray();

    [Fact]
    public async Task A_group_is_created_changed_and_every_member_is_told_in_order()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await Member.ConnectAsync(server.Port, "alice");
        await using var bob = await Member.ConnectAsync(server.Port, "bob");
        await using var carol = await Member.ConnectAsync(server.Port, "carol");
        var group = FastChat.Client.FastChatClient.NewGroupId();

        var created = await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob", "bob", "alice"], "weekend");
        Assert.Equal((GroupStatusCode.Done, 1ul), (created.Status, created.Version));
        var first = await bob.EventAsync(1);
        Assert.Equal(("weekend", GroupOp.Create), (first.Name, first.Op));
        Assert.Equal(["alice*", "bob"], Names(first));
        Assert.Equal("alice", bob.Events.Single().From);
        Assert.Empty(carol.Events);

        Assert.Equal(GroupStatusCode.NotAdmin, (await bob.Client.ChangeGroupAsync(GroupOp.Add, group, ["carol"])).Status);
        Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Add, group, ["carol"])).Status);
        Assert.Equal(["alice*", "bob", "carol"], Names(await carol.EventAsync(2)));
        Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Promote, group, ["bob"])).Status);
        Assert.Equal(GroupStatusCode.Done, (await bob.Client.ChangeGroupAsync(GroupOp.Remove, group, ["carol"])).Status);

        // carol hears of her removal, and then is not told anything nor shown the group.
        var removal = await carol.EventAsync(4);
        Assert.Equal((GroupOp.Remove, "carol"), (removal.Op, Assert.Single(removal.Users)));
        Assert.Equal(["alice*", "bob*"], Names(removal));
        Assert.Equal(GroupStatusCode.NotMember, (await carol.Client.QueryGroupAsync(group)).Status);
        var state = await bob.Client.QueryGroupAsync(group);
        Assert.Equal((GroupStatusCode.Done, 4ul, "weekend"), (state.Status, state.Version, state.Name));

        // Every member saw every version once, in order.
        await alice.EventAsync(4);
        Assert.Equal([1ul, 2, 3, 4], alice.Events.Select(e => e.Event.Version));
        Assert.Equal([2ul, 3, 4], carol.Events.Select(e => e.Event.Version));
    }

    [Fact]
    public async Task The_rules_hold_whoever_asks()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxGroupMembers = 3);
        await using var alice = await Member.ConnectAsync(server.Port, "alice");
        await using var bob = await Member.ConnectAsync(server.Port, "bob");
        await using var carol = await Member.ConnectAsync(server.Port, "carol");
        await using var dave = await Member.ConnectAsync(server.Port, "dave");
        var group = FastChat.Client.FastChatClient.NewGroupId();
        async Task<GroupStatusCode> Change(Member who, GroupOp op, params string[] users) => (await who.Client.ChangeGroupAsync(op, group, users, op == GroupOp.Create ? "g" : null)).Status;

        Assert.Equal(GroupStatusCode.NotFound, await Change(alice, GroupOp.Add, "bob"));
        Assert.Equal(GroupStatusCode.UnknownUser, await Change(alice, GroupOp.Create, "nobody"));
        Assert.Equal(GroupStatusCode.TooManyMembers, await Change(alice, GroupOp.Create, "bob", "carol", "dave"));
        Assert.Equal(GroupStatusCode.Invalid, (await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob"], "  ")).Status);
        Assert.Equal(GroupStatusCode.Done, await Change(alice, GroupOp.Create, "bob", "carol"));
        Assert.Equal(GroupStatusCode.Exists, await Change(bob, GroupOp.Create, "dave"));
        Assert.Equal(GroupStatusCode.TooManyMembers, await Change(alice, GroupOp.Add, "dave"));
        Assert.Equal(GroupStatusCode.NotMember, await Change(dave, GroupOp.Leave));
        Assert.Equal(GroupStatusCode.NotMember, (await dave.Client.QueryGroupAsync(group)).Status);
        Assert.Equal(GroupStatusCode.Invalid, await Change(alice, GroupOp.Remove, "alice"));
        Assert.Equal(GroupStatusCode.NotMember, await Change(alice, GroupOp.Promote, "dave"));

        // The last admin leaves: the longest-standing member takes over, the group is never without one.
        Assert.Equal(GroupStatusCode.Done, await Change(alice, GroupOp.Leave));
        Assert.Equal(["bob*", "carol"], Names(await carol.EventAsync(2)));
        Assert.Equal(GroupStatusCode.Done, await Change(bob, GroupOp.Add, "dave"));
    }

    [Fact]
    public async Task A_change_reaches_every_device_of_a_member()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await Member.ConnectAsync(server.Port, "alice");
        await using var bob = await Member.ConnectAsync(server.Port, "bob");
        // bob's signed list names a second device; it signs in with that key as bob/2.
        var bobKeys = new SignalDevice();
        var laptopKey = TestClient.NewKey();
        var laptopPublic = new byte[32];
        FastChat.Protocol.Crypto.Sodium.X25519PublicKey(laptopKey, laptopPublic);
        var list = new DeviceList("bob", 1, 0, [new DeviceEntry(1, bob.Client.DeviceKey, bobKeys.IdentityKey), new DeviceEntry(2, laptopPublic, new SignalDevice().IdentityKey)]);
        Assert.Equal(DeviceListStatusCode.Stored, (await bob.Client.PublishDeviceListAsync(DeviceLists.Sign(list, bobKeys.Store.IdentityKeyPair))).Status);
        await using var laptop = await Member.ConnectAsync(server.Port, "bob", laptopKey);
        Assert.Equal(2, laptop.Client.DeviceId);

        var group = FastChat.Client.FastChatClient.NewGroupId();
        Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob"], "two devices")).Status);
        Assert.Equal("two devices", (await bob.EventAsync(1)).Name);
        Assert.Equal("two devices", (await laptop.EventAsync(1)).Name);
    }

    [Fact]
    public async Task A_group_message_reaches_every_other_member_once_offline_ones_later_and_a_non_member_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await Member.ConnectAsync(server.Port, "alice");
        await using var bob = await Member.ConnectAsync(server.Port, "bob");
        await using var dave = await Member.ConnectAsync(server.Port, "dave");
        var carolKey = TestClient.NewKey();
        await (await Member.ConnectAsync(server.Port, "carol", carolKey)).DisposeAsync(); // registered, then offline
        var group = FastChat.Client.FastChatClient.NewGroupId();
        Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob", "carol"], "g")).Status);

        ulong id = await alice.Client.SendToGroupAsync(group, "one ciphertext for all"u8.ToArray()); // ✓: the home has it
        await Eventually.TrueAsync(() => bob.GroupMessages.Count == 1);
        var atBob = bob.GroupMessages.Single();
        Assert.Equal(("alice", id, "one ciphertext for all"), (atBob.From, atBob.MessageId, System.Text.Encoding.UTF8.GetString(atBob.Payload)));
        Assert.Equal(group, atBob.GroupId);

        await using var carol = await Member.ConnectAsync(server.Port, "carol", carolKey);
        await Eventually.TrueAsync(() => carol.GroupMessages.Count == 1);
        Assert.Equal(id, carol.GroupMessages.Single().MessageId);

        // Per member: ✓✓ from each member's device as it acknowledges, read when it says so — within the group.
        await Eventually.TrueAsync(() => alice.Connection.Receipts.Count(r => r.Kind == ReceiptKind.Delivered) == 2, because: "a ✓✓ from bob and one from carol");
        Assert.Equal(["bob", "carol"], alice.Connection.Receipts.Where(r => r.Kind == ReceiptKind.Delivered).Select(r => r.Peer).Order());
        Assert.All(alice.Connection.Receipts, r => { Assert.Equal(id, r.MessageId); Assert.Equal(group, r.Group); });
        await carol.Client.MarkReadAsync("alice", id, group: group);
        await Eventually.TrueAsync(() => alice.Connection.Receipts.Any(r => r.Kind == ReceiptKind.Read));
        var read = alice.Connection.Receipts.Single(r => r.Kind == ReceiptKind.Read);
        Assert.Equal(("carol", id), (read.Peer, read.MessageId));
        Assert.Equal(group, read.Group);

        var refused = await Assert.ThrowsAsync<FastChat.Client.FastChatException>(() => dave.Client.SendToGroupAsync(group, "let me in"u8.ToArray()));
        Assert.Equal(ErrorCode.UnknownRecipient, refused.Code);
        var unknown = await Assert.ThrowsAsync<FastChat.Client.FastChatException>(() => bob.Client.SendToGroupAsync(FastChat.Client.FastChatClient.NewGroupId(), "x"u8.ToArray()));
        Assert.Equal(ErrorCode.UnknownRecipient, unknown.Code);

        // The next message is the only other one anyone gets: nothing was duplicated, the sender got none of its own.
        await bob.Client.SendToGroupAsync(group, "from bob"u8.ToArray());
        await Eventually.TrueAsync(() => alice.GroupMessages.Count == 1 && carol.GroupMessages.Count == 2);
        Assert.Single(bob.GroupMessages);
        Assert.Equal("bob", alice.GroupMessages.Single().From);
    }

    /// <summary>A real server process killed with SIGKILL right after the answer: the change is there after the restart.</summary>
    [Fact]
    public async Task A_done_change_survives_kill_minus_nine()
    {
        using var data = new TempDirectory();
        var group = FastChat.Client.FastChatClient.NewGroupId();
        var aliceKey = TestClient.NewKey();
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var bob = await Member.ConnectAsync(server.Port, "bob");
            await using var alice = await Member.ConnectAsync(server.Port, "alice", aliceKey);
            Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob"], "durable")).Status);
            Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Promote, group, ["bob"])).Status);
            await server.KillAsync();
        }
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var alice = await Member.ConnectAsync(server.Port, "alice", aliceKey);
            var state = await alice.Client.QueryGroupAsync(group);
            Assert.Equal((GroupStatusCode.Done, 2ul, "durable"), (state.Status, state.Version, state.Name));
            Assert.Equal(["alice", "bob"], state.Members.Where(m => m.Admin).Select(m => m.User));
        }
    }

    [Fact]
    public async Task A_malformed_group_change_closes_only_that_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var bystander = await TestClient.ConnectAsync(server.Port, "carol");
        await using var raw = await RawConnection.RegisteredAsync(server.Port, "mallory");
        var frame = ControlFrames.Encode(new GroupChangeBody(1, GroupOp.Create, new byte[16], "x", ["bob"]));
        Assert.Equal((byte)GroupOp.Create, frame[6]); // header (4), array (1), request id 1 (1), then the op
        frame[6] = 9; // no such operation
        await raw.WriteRecordAsync(frame);
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
        await bystander.Client.SendAsync("carol", "still here"u8.ToArray());
    }
}
