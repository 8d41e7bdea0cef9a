using System.Collections.Concurrent;
using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.E2E;

/// <summary>
/// End-to-end encrypted groups over a real server: sender keys distributed over the pairwise
/// sessions, one ciphertext per message fanned out by the server, and a removed member unable to
/// read what is sent after the removal (the remaining members rotate their keys).
/// </summary>
public class GroupChatTests
{
    private sealed class Device : IAsyncDisposable
    {
        public required TestClient Connection { get; init; }
        public required DeviceStore Store { get; init; }
        public required SecureChat Chat { get; init; }
        public ConcurrentQueue<OpenedMessage> Group { get; } = new();
        public ConcurrentQueue<IncomingGroupMessage> Raw { get; } = new();

        public static async Task<Device> StartAsync(int port, string user, string folder)
        {
            var store = DeviceStore.Create(Path.Combine(folder, $"{user}.db"), user, StoreProtection.KeyFile(Path.Combine(folder, $"{user}.key")));
            var connection = TestClient.Create(port, user, store.NoisePrivateKey);
            var device = new Device { Connection = connection, Store = store, Chat = new SecureChat(connection.Client, store) };
            // Pairwise messages carry the sender keys: they are opened as they come.
            connection.Client.MessageReceived += m => device.Chat.Open(m);
            connection.Client.GroupMessageReceived += m =>
            {
                device.Raw.Enqueue(m);
                var opened = device.Chat.OpenGroup(m);
                if (opened.Status != OpenedStatus.AwaitingKey) device.Group.Enqueue(opened);
            };
            device.Chat.Released += released => { foreach (var m in released) device.Group.Enqueue(m); };
            var welcome = await connection.Client.ConnectAsync();
            if (welcome.State == FastChat.Protocol.Frames.WelcomeState.RegistrationRequired) await connection.Client.RegisterAsync(null);
            await device.Chat.PublishAsync();
            return device;
        }

        public async Task<string[]> TextsAsync(int count)
        {
            await Eventually.TrueAsync(() => Group.Count >= count, because: $"{Connection.Client.UserName} has {Group.Count} group messages");
            Assert.All(Group, m => Assert.Equal(OpenedStatus.Encrypted, m.Status));
            return Group.Select(m => m.Text!).ToArray();
        }

        public async ValueTask DisposeAsync()
        {
            Chat.Dispose();
            await Connection.DisposeAsync();
            Store.Dispose();
        }
    }

    [Fact]
    public async Task Members_read_one_ciphertext_each_and_a_removed_member_cannot_read_what_follows()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempDirectory();
        await using var alice = await Device.StartAsync(server.Port, "alice", folder);
        await using var bob = await Device.StartAsync(server.Port, "bob", folder);
        await using var carol = await Device.StartAsync(server.Port, "carol", folder);

        var group = await alice.Chat.CreateGroupAsync("weekend", ["bob", "carol"]);
        await Eventually.TrueAsync(() => bob.Chat.KnownGroup(group) is not null && carol.Chat.KnownGroup(group) is not null);
        await alice.Chat.SendGroupTextAsync(group, "hi all");
        Assert.Equal(["hi all"], await bob.TextsAsync(1));
        Assert.Equal(["hi all"], await carol.TextsAsync(1));
        Assert.True(bob.Raw.Single().Payload.AsSpan().IndexOf("hi all"u8) < 0); // what the server carried is ciphertext

        await bob.Chat.SendGroupTextAsync(group, "hi from bob");
        Assert.Equal(["hi from bob"], await alice.TextsAsync(1));
        Assert.Equal(["hi all", "hi from bob"], await carol.TextsAsync(2));

        // carol is removed: alice and bob start new chains, distributed to each other only.
        var removed = await alice.Connection.Client.ChangeGroupAsync(FastChat.Protocol.Frames.GroupOp.Remove, group, ["carol"]);
        Assert.Equal(FastChat.Protocol.Frames.GroupStatusCode.Done, removed.Status);
        await Eventually.TrueAsync(() => bob.Chat.KnownGroup(group)?.Version == 2);
        await alice.Chat.SendGroupTextAsync(group, "carol cannot read this");
        Assert.Equal(["hi all", "carol cannot read this"], await bob.TextsAsync(2));

        // The server sends her nothing; and the ciphertext bob got does not open with the keys she holds.
        var leaked = bob.Raw.Last();
        var attempt = carol.Chat.OpenGroup(leaked);
        Assert.NotEqual(OpenedStatus.Encrypted, attempt.Status);
        Assert.Equal(2, carol.Raw.Count);
        var history = alice.Store.History(FastChat.Protocol.Wire.GroupAddress.Of(group));
        Assert.Equal([(true, "hi all"), (false, "hi from bob"), (true, "carol cannot read this")], history.Select(h => (h.Outgoing, h.Text)));
    }
}
