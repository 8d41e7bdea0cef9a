using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Signal.Curve;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>Signed device lists over real TCP: what the server stores and refuses, and what a client checks of what it serves.</summary>
public class DeviceListTests
{
    private static DeviceEntry Entry(byte id, byte[] noiseKey, SignalDevice device) => new(id, noiseKey, device.IdentityKey);

    private static DeviceEntry Companion(byte id) => new(id, TestClient.NewKey(), new SignalDevice().IdentityKey);

    [Fact]
    public async Task A_published_list_comes_with_the_bundles_and_vouches_for_each_device()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        var primary = new SignalDevice();
        await primary.PublishAsync(alice.Client, oneTime: 2);
        var list = new DeviceList("alice", 1, 1_700_000_000_000, [Entry(1, alice.Client.DeviceKey, primary), Companion(2)]);

        var stored = await alice.Client.PublishDeviceListAsync(DeviceLists.Sign(list, primary.Store.IdentityKeyPair));
        Assert.Equal((DeviceListStatusCode.Stored, 1ul), (stored.Status, stored.Generation));

        var fetched = await bob.Client.FetchPrekeysAsync("alice");
        Assert.NotNull(fetched.DeviceList);
        var verified = DeviceLists.Verify(fetched.DeviceList, "alice", trustedAccountKey: primary.IdentityKey);
        Assert.Equal([1, 2], verified.Devices.Select(d => (int)d.DeviceId));
        // Device 2 has published no prekeys yet: only the primary's bundle, and it checks out against the list.
        Assert.Equal(1u, Assert.Single(DeviceLists.CheckBundles(fetched, primary.IdentityKey)).DeviceId);
    }

    [Fact]
    public async Task The_server_refuses_lists_that_are_forged_stale_foreign_or_too_long()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxDevicesPerAccount = 3);
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        var primary = new SignalDevice();
        var me = Entry(1, alice.Client.DeviceKey, primary);
        DeviceList List(ulong generation, params DeviceEntry[] devices) => new("alice", generation, 1_700_000_000_000, devices);
        async Task<DeviceListStatusBody> Publish(SignedDeviceList signed) => await alice.Client.PublishDeviceListAsync(signed);

        var forged = DeviceLists.Sign(List(1, me), primary.Store.IdentityKeyPair) with { Signature = new SignalDevice().Store.IdentityKeyPair.Sign(List(1, me).Encode()) };
        Assert.Equal(DeviceListStatusCode.BadSignature, (await Publish(forged)).Status);
        var stranger = new SignalDevice();
        var notMine = List(1, new DeviceEntry(1, TestClient.NewKey(), stranger.IdentityKey)); // a primary Noise key that is not this account's
        Assert.Equal(DeviceListStatusCode.NotPrimary, (await Publish(DeviceLists.Sign(notMine, stranger.Store.IdentityKeyPair))).Status);
        var bobs = new DeviceList("bob", 1, 0, [me]);
        Assert.Equal(DeviceListStatusCode.NotPrimary, (await Publish(DeviceLists.Sign(bobs, primary.Store.IdentityKeyPair))).Status);
        var four = List(1, me, Companion(2), Companion(3), Companion(4));
        Assert.Equal(DeviceListStatusCode.TooManyDevices, (await Publish(DeviceLists.Sign(four, primary.Store.IdentityKeyPair))).Status);

        Assert.Equal(DeviceListStatusCode.Stored, (await Publish(DeviceLists.Sign(List(5, me, Companion(2)), primary.Store.IdentityKeyPair))).Status);
        var replayed = await Publish(DeviceLists.Sign(List(5, me), primary.Store.IdentityKeyPair)); // an old or repeated list cannot roll it back
        Assert.Equal((DeviceListStatusCode.StaleGeneration, 5ul), (replayed.Status, replayed.Generation));
        var newKey = new SignalDevice();
        var swapped = List(6, Entry(1, alice.Client.DeviceKey, newKey)); // the same device claiming a new account key
        Assert.Equal(DeviceListStatusCode.AccountKeyChanged, (await Publish(DeviceLists.Sign(swapped, newKey.Store.IdentityKeyPair))).Status);
        Assert.Equal(DeviceListStatusCode.Stored, (await Publish(DeviceLists.Sign(List(6, me), primary.Store.IdentityKeyPair))).Status);
    }

    /// <summary>A real server process killed with SIGKILL right after the answer: the stored list is there after the restart.</summary>
    [Fact]
    public async Task A_stored_list_survives_kill_minus_nine()
    {
        using var data = new TempDirectory();
        var primary = new SignalDevice();
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
            await primary.PublishAsync(alice.Client, oneTime: 1);
            var list = new DeviceList("alice", 3, 1_700_000_000_000, [Entry(1, alice.Client.DeviceKey, primary), Companion(7)]);
            Assert.Equal(DeviceListStatusCode.Stored, (await alice.Client.PublishDeviceListAsync(DeviceLists.Sign(list, primary.Store.IdentityKeyPair))).Status);
            await server.KillAsync();
        }
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
            var fetched = await bob.Client.FetchPrekeysAsync("alice");
            var list = DeviceLists.Verify(fetched.DeviceList!, "alice", primary.IdentityKey);
            Assert.Equal(3ul, list.Generation);
            Assert.Equal([1, 7], list.Devices.Select(d => (int)d.DeviceId));
        }
    }

    [Fact]
    public async Task A_malformed_list_is_a_protocol_error_that_closes_only_that_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var bystander = await TestClient.ConnectAsync(server.Port, "carol");
        await using var raw = await RawConnection.RegisteredAsync(server.Port, "mallory");
        var statement = new DeviceList("mallory", 1, 0, [new DeviceEntry(1, new byte[32], new SignalDevice().IdentityKey)]).Encode();
        statement[^(1 + 32 + 33)] = 3; // the first device's id: a list starts with the primary, device 1
        await raw.WriteRecordAsync(ControlFrames.Encode(new DeviceListPublishBody(1, new SignedDeviceList(statement, new byte[64]))));
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
        await bystander.Client.SendAsync("carol", "still here"u8.ToArray());
    }
}
