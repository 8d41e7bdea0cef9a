using System.Collections.Concurrent;
using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.E2E;

/// <summary>
/// Two people with two devices each, end to end encrypted over a real server: linking by code,
/// a copy per device for the contact and for the sender's other devices, messages from a device
/// not yet in the list this device knows held until the list is refreshed, and a stale list after an unlink retried.
/// </summary>
public class MultiDeviceChatTests
{
    private sealed class Device : IAsyncDisposable
    {
        public required TestClient Connection { get; init; }
        public required DeviceStore Store { get; init; }
        public required SecureChat Chat { get; init; }
        private int _opened;
        public List<OpenedMessage> Opened { get; } = [];
        public ConcurrentQueue<(string Account, byte[] Added, byte[] Removed)> Changes { get; } = new();

        private static DeviceStore NewStore(string folder, string user) =>
            DeviceStore.Create(Path.Combine(folder, $"{user}-{Guid.NewGuid():N}.db"), user, StoreProtection.KeyFile(Path.Combine(folder, $"{user}-{Guid.NewGuid():N}.key")));

        public static async Task<Device> PrimaryAsync(int port, string user, string folder)
        {
            var store = NewStore(folder, user);
            var device = Wrap(await TestClient.ConnectAsync(port, user, store.NoisePrivateKey), store);
            await device.Chat.PublishAsync();
            return device;
        }

        /// <summary>A new device of <paramref name="primary"/>'s account: shows its code, the primary links it, it signs in as itself and publishes its keys.</summary>
        public static async Task<Device> LinkedAsync(int port, Device primary, string folder)
        {
            string user = primary.Connection.Client.UserName;
            var store = NewStore(folder, user);
            await using (var waiting = TestClient.Create(port, user, store.NoisePrivateKey, o => o.LinkIdentityKey = store.IdentityKeyPair.PublicKey.Serialized.ToArray()))
            {
                using var waitingChat = new SecureChat(waiting.Client, store);
                Assert.Equal(WelcomeState.LinkPending, (await waiting.Client.ConnectAsync()).State);
                byte id = await primary.Chat.LinkDeviceAsync(waitingChat.LinkCodeForThisDevice.ToLowerInvariant()); // typed by a person: case and dashes do not matter
                Assert.Equal(id, (await waiting.Client.WaitForLinkAsync().WaitAsync(TimeSpan.FromSeconds(10))).DeviceId);
            }
            var device = Wrap(await TestClient.ConnectAsync(port, user, store.NoisePrivateKey), store);
            await device.Chat.PublishAsync();
            return device;
        }

        private static Device Wrap(TestClient connection, DeviceStore store)
        {
            var device = new Device { Connection = connection, Store = store, Chat = new SecureChat(connection.Client, store) };
            device.Chat.DevicesChanged += (account, added, removed) => device.Changes.Enqueue((account, added, removed));
            return device;
        }

        /// <summary>Opens the next <paramref name="count"/> messages that arrive (refreshing device lists as needed, unless told not to).</summary>
        public async Task<OpenedMessage[]> ReceiveAsync(int count, bool refresh = true)
        {
            var all = await Connection.WaitForMessagesAsync(_opened + count);
            var opened = new List<OpenedMessage>();
            foreach (var message in all.Skip(_opened).Take(count))
                opened.AddRange(refresh ? await Chat.OpenAsync(message) : [Chat.Open(message)]);
            _opened += count;
            Opened.AddRange(opened);
            return [.. opened];
        }

        public async ValueTask DisposeAsync()
        {
            Chat.Dispose();
            await Connection.DisposeAsync();
            Store.Dispose();
        }
    }

    [Fact]
    public async Task Two_people_with_two_devices_each_every_device_sees_the_conversation()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempDirectory();
        await using var alicePhone = await Device.PrimaryAsync(server.Port, "alice", folder);
        await using var bobPhone = await Device.PrimaryAsync(server.Port, "bob", folder);
        await using var aliceLaptop = await Device.LinkedAsync(server.Port, alicePhone, folder);
        await using var bobLaptop = await Device.LinkedAsync(server.Port, bobPhone, folder);
        Assert.Equal((byte)2, aliceLaptop.Connection.Client.DeviceId);
        Assert.Equal([1, 2], aliceLaptop.Chat.KnownDevices("alice")!.Devices.Select(d => (int)d.DeviceId));

        // alice's phone writes: both of bob's devices read it, and her laptop gets the sent copy.
        await alicePhone.Chat.SendTextAsync("bob", "hello bob");
        Assert.All([.. await bobPhone.ReceiveAsync(1), .. await bobLaptop.ReceiveAsync(1)],
            m => Assert.Equal(("alice", OpenedStatus.Encrypted, "hello bob"), (m.From, m.Status, m.Text)));
        var copy = Assert.Single(await aliceLaptop.ReceiveAsync(1));
        Assert.Equal(("alice", OpenedStatus.Encrypted, "hello bob", "bob"), (copy.From, copy.Status, copy.Text, copy.To));

        // bob answers from his laptop. alice's phone knows bob's list; her laptop has not seen it
        // yet and holds the message until it has fetched the list that names bob/2.
        await bobLaptop.Chat.SendTextAsync("alice", "hi from my laptop");
        var atPhone = Assert.Single(await alicePhone.ReceiveAsync(1));
        Assert.Equal(("bob/2", "bob", OpenedStatus.Encrypted, "hi from my laptop"), (atPhone.From, atPhone.Sender, atPhone.Status, atPhone.Text));
        Assert.Equal(OpenedStatus.UnlistedDevice, Assert.Single(await aliceLaptop.ReceiveAsync(1, refresh: false)).Status);
        var released = Assert.Single(await aliceLaptop.Chat.RefreshDevicesAsync("bob"));
        Assert.Equal(("bob/2", OpenedStatus.Encrypted, "hi from my laptop"), (released.From, released.Status, released.Text));
        var bobsCopy = Assert.Single(await bobPhone.ReceiveAsync(1));
        Assert.Equal(("bob/2", "hi from my laptop", "alice"), (bobsCopy.From, bobsCopy.Text, bobsCopy.To));

        // alice's laptop replies; bob's phone has not seen alice's list and fetches it on the way (OpenAsync).
        await aliceLaptop.Chat.SendTextAsync("bob", "got it on my laptop");
        Assert.Equal("got it on my laptop", Assert.Single(await bobPhone.ReceiveAsync(1)).Text);
        Assert.Equal("got it on my laptop", Assert.Single(await bobLaptop.ReceiveAsync(1)).Text);
        var phoneCopy = Assert.Single(await alicePhone.ReceiveAsync(1));
        Assert.Equal(("alice/2", "got it on my laptop", "bob"), (phoneCopy.From, phoneCopy.Text, phoneCopy.To));
        Assert.Empty(alicePhone.Changes);
    }

    [Fact]
    public async Task After_an_unlink_the_stale_list_is_refreshed_the_send_retried_and_the_change_reported()
    {
        await using var server = await TestServer.StartAsync();
        using var folder = new TempDirectory();
        await using var alice = await Device.PrimaryAsync(server.Port, "alice", folder);
        await using var bobPhone = await Device.PrimaryAsync(server.Port, "bob", folder);
        await using var bobLaptop = await Device.LinkedAsync(server.Port, bobPhone, folder);
        await alice.Chat.SendTextAsync("bob", "one");
        Assert.Equal("one", Assert.Single(await bobLaptop.ReceiveAsync(1)).Text);

        await bobPhone.Chat.UnlinkDeviceAsync(2);
        Assert.Equal([1], bobPhone.Chat.KnownDevices("bob")!.Devices.Select(d => (int)d.DeviceId));
        await alice.Chat.SendTextAsync("bob", "two"); // alice's list for bob still has the laptop: refused as stale, fetched again, sent
        Assert.Equal(["one", "two"], (await bobPhone.ReceiveAsync(2)).Select(m => m.Text));
        var change = Assert.Single(alice.Changes);
        Assert.Equal(("bob", 0, 2), (change.Account, change.Added.Length, (int)Assert.Single(change.Removed)));
        Assert.Equal([1], alice.Chat.KnownDevices("bob")!.Devices.Select(d => (int)d.DeviceId));
    }
}
