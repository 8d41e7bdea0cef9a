using FastChat.Client;
using FastChat.Protocol.Wire;
using System.Text;
using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Signal.Sessions;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>The prekey directory across the mesh: bundles live at the owner's home and are replicated like queues.</summary>
public class MeshPrekeyTests
{
    [Fact]
    public async Task Bundles_and_the_device_list_are_fetched_from_another_home_and_no_one_time_prekey_is_handed_out_twice_across_a_failover()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3, _ => ["--FastChat:Cluster:ReplicationFactor=2", "--FastChat:Cluster:LeaseTtlSeconds=5"]);
        await Eventually.TrueAsync(() => cluster.Nodes.All(n => n.Output.Any(l => l.Contains("Reported in sync", StringComparison.Ordinal))), TimeSpan.FromSeconds(30));
        var entry = cluster.Nodes[0];

        // bob is homed on the entry node, alice on another one (the one killed below).
        var users = new List<TestClient>();
        try
        {
            for (int i = 0; i < 64 && !(users.Any(u => u.Client.Server.Port == entry.Port) && users.Any(u => u.Client.Server.Port != entry.Port)); i++)
                users.Add(await TestClient.ConnectAsync(entry.Port, $"pk{i}"));
            var bob = users.First(u => u.Client.Server.Port == entry.Port);
            var alice = users.First(u => u.Client.Server.Port != entry.Port);
            var aliceHome = cluster.Nodes.Single(n => n.Port == alice.Client.Server.Port);

            var aliceKeys = new SignalDevice();
            Assert.Equal(PrekeyStatusCode.Stored, (await aliceKeys.PublishAsync(alice.Client, oneTime: 10)).Status);
            var devices = new DeviceList(alice.Client.UserName, 1, 1_700_000_000_000,
                [new DeviceEntry(1, alice.Client.DeviceKey, aliceKeys.IdentityKey), new DeviceEntry(2, TestClient.NewKey(), new SignalDevice().IdentityKey)]);
            Assert.Equal(DeviceListStatusCode.Stored, (await alice.Client.PublishDeviceListAsync(DeviceLists.Sign(devices, aliceKeys.Store.IdentityKeyPair))).Status);
            var handedOut = new List<uint>();
            var first = await bob.Client.FetchPrekeysAsync(alice.Client.UserName);
            Assert.Equal(PrekeyFetchStatus.Found, first.Status);
            Assert.Single(DeviceLists.CheckBundles(first, aliceKeys.IdentityKey));
            handedOut.Add(first.Bundles[0].OneTimePrekey!.Id);
            for (int i = 0; i < 3; i++) handedOut.Add((await bob.Client.FetchPrekeysAsync(alice.Client.UserName)).Bundles[0].OneTimePrekey!.Id);

            // The bundle from the other node starts a session: bob's message decrypts on alice's device.
            var bobKeys = new SignalDevice();
            new SessionBuilder(bobKeys.Store, alice.Client.UserName).Process(PrekeyMaterial.ToSignal(first.Bundles[0]));
            // alice has two devices now: a SEND for her primary alone is refused by her home (across the mesh), a copy per device is taken.
            var refused = await Assert.ThrowsAsync<FastChatException>(() => bob.Client.SendAsync(alice.Client.UserName, "only one device"u8.ToArray()));
            Assert.Equal(ErrorCode.StaleDevices, refused.Code);
            var forPrimary = new SessionCipher(bobKeys.Store, alice.Client.UserName).Encrypt("via the mesh"u8).Body;
            await bob.Client.SendToDevicesAsync(alice.Client.UserName, 1, [(1, forPrimary), (2, "for device 2"u8.ToArray())]);
            var received = await alice.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
            Assert.Equal("via the mesh", Encoding.UTF8.GetString(new SessionCipher(aliceKeys.Store, bob.Client.UserName).DecryptPreKeyMessage(received[0].Payload)));

            // alice's home dies; her replica takes over with the hand-outs it was told of before each answer.
            users.Remove(alice);
            await alice.DisposeAsync();
            await aliceHome.KillAsync();
            // A client retries as the answer says (retry_after_ms), which keeps it inside its fetch budget.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var next = await bob.Client.FetchPrekeysAsync(alice.Client.UserName);
                if (next.Status == PrekeyFetchStatus.Found)
                {
                    handedOut.Add(next.Bundles[0].OneTimePrekey!.Id);
                    Assert.Single(DeviceLists.CheckBundles(next, aliceKeys.IdentityKey)); // the list was replicated with the prekeys
                    Assert.Equal(2, next.DeviceList!.List.Devices.Count);
                    break;
                }
                Assert.True(next.Status == PrekeyFetchStatus.Unavailable && next.RetryAfterMs > 0, $"unexpected answer during the failover: {next.Status}");
                Assert.True(DateTime.UtcNow < deadline, "no bundle within 60 s of the failover");
                await Task.Delay(TimeSpan.FromMilliseconds(next.RetryAfterMs));
            }
            Assert.Equal([1u, 2, 3, 4, 5], handedOut);
        }
        finally
        {
            foreach (var user in users) await user.DisposeAsync();
        }
    }
}
