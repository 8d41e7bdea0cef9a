using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>
/// Companion devices over real TCP (protocol-spec/13-devices.md): linking with the primary's
/// approval, a copy per device, refusals of stale device sets, and what removing a device does.
/// </summary>
public class DeviceLinkingTests
{
    private const long Now = 1_700_000_000_000;

    /// <summary>alice's primary with its keys and list published, and a companion device linked as device 2 and signed in.</summary>
    private sealed class Account : IAsyncDisposable
    {
        public required TestClient Primary { get; init; }
        public required SignalDevice PrimaryKeys { get; init; }
        public required TestClient Companion { get; set; }
        public required SignalDevice CompanionKeys { get; init; }
        public required byte[] CompanionNoiseKey { get; init; }
        public ulong Generation { get; set; }

        public DeviceEntry PrimaryEntry => new(1, Primary.Client.DeviceKey, PrimaryKeys.IdentityKey);
        public DeviceEntry CompanionEntry => new(2, Companion.Client.DeviceKey, CompanionKeys.IdentityKey);

        public async Task<DeviceListStatusBody> PublishAsync(params DeviceEntry[] devices)
        {
            var list = new DeviceList(Primary.Client.UserName, ++Generation, Now, devices);
            return await Primary.Client.PublishDeviceListAsync(DeviceLists.Sign(list, PrimaryKeys.Store.IdentityKeyPair));
        }

        public async ValueTask DisposeAsync()
        {
            await Companion.DisposeAsync();
            await Primary.DisposeAsync();
        }
    }

    private static async Task<Account> LinkedAccountAsync(int port, string user = "alice")
    {
        var primary = await TestClient.ConnectAsync(port, user);
        var primaryKeys = new SignalDevice();
        await primaryKeys.PublishAsync(primary.Client, oneTime: 2);
        var account = new Account
        {
            Primary = primary, PrimaryKeys = primaryKeys, CompanionKeys = new SignalDevice(), CompanionNoiseKey = TestClient.NewKey(),
            Companion = null!,
        };
        Assert.Equal(DeviceListStatusCode.Stored, (await account.PublishAsync(account.PrimaryEntry)).Status);

        // The new device asks to be linked: it proved its Noise key in the handshake and offers its identity key.
        var waiting = TestClient.Create(port, user, account.CompanionNoiseKey, o => o.LinkIdentityKey = account.CompanionKeys.IdentityKey);
        var welcome = await waiting.Client.ConnectAsync();
        Assert.Equal(WelcomeState.LinkPending, welcome.State);

        // The primary sees it, and the code the new device shows matches the keys the server passed on.
        var request = Assert.Single(await primary.Client.QueryLinkRequestsAsync());
        Assert.Equal(waiting.Client.DeviceKey, request.NoiseKey);
        Assert.Equal(account.CompanionKeys.IdentityKey, request.IdentityKey);
        Assert.Equal(LinkCode.Compute(user, waiting.Client.DeviceKey, account.CompanionKeys.IdentityKey),
            LinkCode.Compute(user, request.NoiseKey, request.IdentityKey));

        Assert.Equal(DeviceListStatusCode.Stored, (await account.PublishAsync(account.PrimaryEntry, new DeviceEntry(2, request.NoiseKey, request.IdentityKey))).Status);
        var done = await waiting.Client.WaitForLinkAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((2, account.Generation), ((int)done.DeviceId, done.Generation));
        await waiting.DisposeAsync();

        account.Companion = await SignInAsync(port, user, account.CompanionNoiseKey);
        return account;
    }

    private static async Task<TestClient> SignInAsync(int port, string user, byte[] key)
    {
        var client = TestClient.Create(port, user, key);
        var welcome = await client.Client.ConnectAsync();
        Assert.Equal((WelcomeState.Authenticated, (byte)2), (welcome.State, client.Client.DeviceId));
        return client;
    }

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static string Text(IncomingMessage message) => System.Text.Encoding.UTF8.GetString(message.Payload);

    [Fact]
    public async Task A_linked_companion_gets_its_own_copy_and_speaks_as_user_slash_2()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await LinkedAccountAsync(server.Port);
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");

        // One copy per device in alice's list: each device gets only its own.
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("for the phone")), (2, Bytes("for the laptop"))]);
        Assert.Equal("for the phone", Text((await alice.Primary.WaitForMessagesAsync(1))[0]));
        var laptop = (await alice.Companion.WaitForMessagesAsync(1))[0];
        Assert.Equal(("bob", "for the laptop"), (laptop.From, Text(laptop)));

        // The companion writes as alice/2; bob's read receipt goes back to that device.
        ulong id = await alice.Companion.Client.SendAsync("bob", Bytes("from the laptop"));
        var fromLaptop = (await bob.WaitForMessagesAsync(1))[0];
        Assert.Equal(("alice/2", "from the laptop"), (fromLaptop.From, Text(fromLaptop)));
        await bob.Client.MarkReadAsync("alice/2", id);
        await Eventually.TrueAsync(() => alice.Companion.Receipts.Any(r => r.Kind == ReceiptKind.Read && r.MessageId == id));
        Assert.DoesNotContain(alice.Primary.Receipts, r => r.MessageId == id && r.Kind == ReceiptKind.Read);

        // A sent-copy to the account's other devices: alice's own list minus the sending device.
        await alice.Companion.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("I told bob"))]);
        await Eventually.TrueAsync(() => alice.Primary.Messages.Any(m => m.From == "alice/2" && Text(m) == "I told bob"));
    }

    [Fact]
    public async Task A_send_whose_device_set_is_stale_is_refused_and_nothing_is_delivered()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await LinkedAccountAsync(server.Port);
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");

        async Task Refused(Func<Task> send) =>
            Assert.Equal(ErrorCode.StaleDevices, (await Assert.ThrowsAsync<FastChatException>(send)).Code);
        await Refused(() => bob.Client.SendAsync("alice", Bytes("only the primary would get this")));
        await Refused(() => bob.Client.SendToDevicesAsync("alice", alice.Generation - 1, [(1, Bytes("old list"))]));
        await Refused(() => bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("device 2 skipped"))]));
        await Refused(() => bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("a")), (2, Bytes("b")), (3, Bytes("no such device"))]));
        await Refused(() => alice.Companion.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("x")), (2, Bytes("to myself"))]));

        // The connection is still good and the next correct send is the only thing delivered.
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("right")), (2, Bytes("right"))]);
        var phone = await alice.Primary.WaitForMessagesAsync(1);
        var laptop = await alice.Companion.WaitForMessagesAsync(1);
        Assert.Equal(["right"], phone.Select(Text));
        Assert.Equal(["right"], laptop.Select(Text));
    }

    [Fact]
    public async Task Removing_a_device_closes_it_and_drops_its_queue_and_its_key_no_longer_signs_in()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await LinkedAccountAsync(server.Port);
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        var removed = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Something waits in device 2's queue while it is offline... then the primary removes it.
        await alice.Companion.DisposeAsync();
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("one")), (2, Bytes("queued for the laptop"))]);
        alice.Companion = await SignInAsync(server.Port, "alice", alice.CompanionNoiseKey);
        var queued = await alice.Companion.WaitForMessagesAsync(1);
        Assert.Equal("queued for the laptop", Text(queued[0]));
        alice.Companion.Client.Disconnected += (code, _) => removed.TrySetResult(code);
        Assert.Equal(DeviceListStatusCode.Stored, (await alice.PublishAsync(alice.PrimaryEntry)).Status);
        Assert.Equal(ErrorCode.DeviceRemoved, await removed.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        // Its key is no one's now: signing in with it is refused, and a plain SEND to alice is fine again.
        await using var stale = TestClient.Create(server.Port, "alice", alice.CompanionNoiseKey);
        Assert.Equal(ErrorCode.AuthFailed, (await Assert.ThrowsAsync<FastChatException>(() => stale.Client.ConnectAsync())).Code);
        await bob.Client.SendAsync("alice", Bytes("back to one device"));
        await Eventually.TrueAsync(() => alice.Primary.Messages.Any(m => Text(m) == "back to one device"));
    }

    [Fact]
    public async Task A_removed_device_linked_again_starts_with_an_empty_queue()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await LinkedAccountAsync(server.Port);
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await alice.Companion.DisposeAsync();
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("one")), (2, Bytes("never for the new device 2"))]);
        Assert.Equal(DeviceListStatusCode.Stored, (await alice.PublishAsync(alice.PrimaryEntry)).Status);
        Assert.Equal(DeviceListStatusCode.Stored, (await alice.PublishAsync(alice.PrimaryEntry, alice.CompanionEntry)).Status);

        alice.Companion = await SignInAsync(server.Port, "alice", alice.CompanionNoiseKey);
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("two")), (2, Bytes("after the new link"))]);
        var received = await alice.Companion.WaitForMessagesAsync(1);
        await bob.Client.SendToDevicesAsync("alice", alice.Generation, [(1, Bytes("three")), (2, Bytes("and the last"))]);
        received = await alice.Companion.WaitForMessagesAsync(2);
        Assert.Equal(["after the new link", "and the last"], received.Select(Text));
    }

    [Fact]
    public async Task An_unknown_device_key_without_a_link_request_and_a_link_request_for_no_account_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var impostor = TestClient.Create(server.Port, "alice");
        var refused = await Assert.ThrowsAsync<FastChatException>(() => impostor.Client.ConnectAsync());
        Assert.Equal(ErrorCode.AuthFailed, refused.Code);

        await using var nobody = TestClient.Create(server.Port, "nobody", configure: o => o.LinkIdentityKey = new SignalDevice().IdentityKey);
        Assert.Equal(ErrorCode.AuthFailed, (await Assert.ThrowsAsync<FastChatException>(() => nobody.Client.ConnectAsync())).Code);
        await alice.Client.SendAsync("alice", Bytes("still fine"));
    }

    [Fact]
    public async Task Only_a_few_devices_may_wait_to_be_linked_to_one_account()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        var waiting = new List<TestClient>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var device = TestClient.Create(server.Port, "alice", configure: o => o.LinkIdentityKey = new SignalDevice().IdentityKey);
                waiting.Add(device);
                Assert.Equal(WelcomeState.LinkPending, (await device.Client.ConnectAsync()).State);
            }
            await using var fifth = TestClient.Create(server.Port, "alice", configure: o => o.LinkIdentityKey = new SignalDevice().IdentityKey);
            Assert.Equal(ErrorCode.RateLimited, (await Assert.ThrowsAsync<FastChatException>(() => fifth.Client.ConnectAsync())).Code);
            Assert.Equal(4, (await alice.Client.QueryLinkRequestsAsync()).Count);
        }
        finally
        {
            foreach (var device in waiting) await device.DisposeAsync();
        }
        // A waiting device that leaves is no longer offered.
        await Eventually.TrueAsync(() => alice.Client.QueryLinkRequestsAsync().GetAwaiter().GetResult().Count == 0);
    }
}
