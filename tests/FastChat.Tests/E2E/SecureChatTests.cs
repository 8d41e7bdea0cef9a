using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.E2E;

/// <summary>The SDK's end-to-end chat over a real server: published keys, sessions from checked bundles, padded envelopes, identity changes held until accepted.</summary>
public class SecureChatTests
{
    private sealed class Device : IAsyncDisposable
    {
        public required TestClient Connection { get; init; }
        public required DeviceStore Store { get; init; }
        public required SecureChat Chat { get; init; }

        public static async Task<Device> StartAsync(int port, string user, string folder, byte[]? noiseKey = null)
        {
            var store = DeviceStore.Create(Path.Combine(folder, $"{user}-{Guid.NewGuid():N}.db"), user, StoreProtection.KeyFile(Path.Combine(folder, $"{user}-{Guid.NewGuid():N}.key")));
            var connection = await TestClient.ConnectAsync(port, user, noiseKey ?? store.NoisePrivateKey);
            return new Device { Connection = connection, Store = store, Chat = new SecureChat(connection.Client, store) };
        }

        public async Task<OpenedMessage[]> ReceiveAsync(int count) => (await Connection.WaitForMessagesAsync(count)).Select(Chat.Open).ToArray();

        public async ValueTask DisposeAsync()
        {
            Chat.Dispose();
            await Connection.DisposeAsync();
            Store.Dispose();
        }
    }

    [Fact]
    public async Task Two_devices_chat_encrypted_and_the_payload_on_the_wire_is_not_the_text()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempDirectory();
        await using var alice = await Device.StartAsync(server.Port, "alice", folder);
        await using var bob = await Device.StartAsync(server.Port, "bob", folder);
        await alice.Chat.PublishAsync();
        await bob.Chat.PublishAsync();

        await alice.Chat.SendTextAsync("bob", "hi bob, this is end to end");
        await alice.Chat.SendTextAsync("bob", "ok");
        var atBob = await bob.ReceiveAsync(2);
        Assert.Equal([(OpenedStatus.Encrypted, "hi bob, this is end to end"), (OpenedStatus.Encrypted, "ok")], atBob.Select(m => (m.Status, m.Text)));
        var wire = bob.Connection.Messages.Select(m => m.Payload).ToArray();
        Assert.All(wire, w => Assert.Equal(E2ePayload.Marker, w[0]));
        Assert.Equal(wire[0].Length, wire[1].Length); // both padded to one 160-byte envelope: the lengths do not tell the texts apart
        Assert.True(wire[0].AsSpan().IndexOf("end to end"u8) < 0);

        await bob.Chat.SendTextAsync("alice", "hi alice");
        Assert.Equal("hi alice", Assert.Single(await alice.ReceiveAsync(1)).Text);
        Assert.Equal(alice.Chat.SafetyNumber("bob"), bob.Chat.SafetyNumber("alice"));
        Assert.Equal(60, alice.Chat.SafetyNumber("bob")!.Length);

        // A plaintext payload (an older client) is shown as such, never as encrypted.
        await using var old = await TestClient.ConnectAsync(server.Port, "oldclient");
        await old.Client.SendAsync("alice", "plain"u8.ToArray());
        var plain = (await alice.ReceiveAsync(2))[1];
        Assert.Equal((OpenedStatus.Unencrypted, "plain"), (plain.Status, plain.Text));
    }

    [Fact]
    public async Task Rotation_keeps_the_previous_signed_prekey_and_deletes_older_ones()
    {
        // Each publish makes a new signed prekey (as a rotation does) and 100 one-time prekeys: room for three.
        await using var server = await TestServer.StartAsync(o => o.PrekeyStockMax = 1000);
        using var folder = new TempDirectory();
        await using var alice = await Device.StartAsync(server.Port, "alice", folder);
        await alice.Chat.PublishAsync();
        await alice.Chat.PublishAsync();
        Assert.NotNull(alice.Store.LoadSignedPreKey(1)); // the previous one stays for prekey messages on their way
        await alice.Chat.PublishAsync();
        Assert.Null(alice.Store.LoadSignedPreKey(1));
        Assert.NotNull(alice.Store.LoadSignedPreKey(2));
        Assert.NotNull(alice.Store.LoadSignedPreKey(3));
    }

    [Fact]
    public async Task A_message_from_a_changed_identity_is_held_until_the_user_accepts_it()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempDirectory();
        await using var alice = await Device.StartAsync(server.Port, "alice", folder);
        byte[] bobNoise;
        string before;
        await using (var bob = await Device.StartAsync(server.Port, "bob", folder))
        {
            await alice.Chat.PublishAsync();
            await bob.Chat.PublishAsync();
            await bob.Chat.SendTextAsync("alice", "first");
            Assert.Equal(OpenedStatus.Encrypted, Assert.Single(await alice.ReceiveAsync(1)).Status);
            before = alice.Chat.SafetyNumber("bob")!;
            bobNoise = bob.Connection.PrivateKey;
        }
        // "bob" again, with a new Signal identity (a reinstall, or a server in the middle).
        await using var bob2 = await Device.StartAsync(server.Port, "bob", folder, bobNoise);
        await bob2.Chat.SendTextAsync("alice", "it is me, new phone");
        var held = (await alice.ReceiveAsync(2))[1];
        Assert.Equal(OpenedStatus.IdentityChanged, held.Status);
        Assert.Null(held.Text);
        Assert.Equal(before, alice.Chat.SafetyNumber("bob")); // still the old, trusted one

        var released = Assert.Single(alice.Chat.AcceptIdentity("bob"));
        Assert.Equal((OpenedStatus.Encrypted, "it is me, new phone"), (released.Status, released.Text));
        Assert.NotEqual(before, alice.Chat.SafetyNumber("bob"));
    }

    [Fact]
    public async Task The_sdk_tops_up_its_one_time_prekeys_when_the_server_says_they_run_low()
    {
        await using var server = await TestServer.StartAsync(o => o.PrekeyLowWater = 98);
        using var folder = new TempDirectory();
        await using var alice = await Device.StartAsync(server.Port, "alice", folder);
        await using var bob = await Device.StartAsync(server.Port, "bob", folder);
        await alice.Chat.PublishAsync();
        for (int i = 0; i < 3; i++) await bob.Connection.Client.FetchPrekeysAsync("alice"); // 97 left: below 98
        // The notice arrives, the SDK uploads what is missing; the ids continue, none repeats.
        await Eventually.TrueAsync(() => alice.Store.LoadPreKey(SecureChat.PrekeyBatch + 1) is not null, TimeSpan.FromSeconds(10));
        var ids = new HashSet<uint>();
        for (int i = 0; i < 10; i++) Assert.True(ids.Add((await bob.Connection.Client.FetchPrekeysAsync("alice")).Bundles[0].OneTimePrekey!.Id));
    }
}
