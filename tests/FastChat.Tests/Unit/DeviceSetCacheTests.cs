using FastChat.Protocol.Frames;
using FastChat.Server.Accounts;
using FastChat.Server.DeviceLists;
using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Unit;

/// <summary>
/// The device-set cache over a real store: a list that arrives by a path other than a publish (a
/// hand-off or a replica writes the record straight into the store) is seen by the next send check.
/// </summary>
public class DeviceSetCacheTests
{
    [Fact]
    public async Task A_list_written_straight_into_the_store_replaces_a_cached_primary_only_set()
    {
        using var fixture = new StoreFixture();
        var accounts = new AccountStore(fixture.Store, fixture.Commit, new OwnEveryone());
        var lists = new DeviceListStore(fixture.Store, fixture.Commit, new OwnEveryone(), accounts, new DeviceOptions());
        var noise = TestClient.NewKey();
        Assert.Equal(CreateAccountResult.Created, await accounts.CreateAsync("alice", noise, 0));
        var alice = "alice"u8.ToArray();
        var devices = new byte[16];

        Assert.Equal(1, lists.CurrentDevices(alice, devices, out ulong generation)); // no list: the primary alone, now cached
        Assert.Equal(0ul, generation);
        Assert.True(lists.KnownPrimaryOnly(alice));

        var primary = new SignalDevice();
        var list = new DeviceList("alice", 4, 0, [new DeviceEntry(1, noise, primary.IdentityKey), new DeviceEntry(3, TestClient.NewKey(), new SignalDevice().IdentityKey)]);
        var key = new byte[StoreKeys.MaxLength];
        fixture.Store.Upsert(key.AsSpan(0, StoreKeys.DeviceListKey(key, alice)), StoredDeviceList.Encode(FastChat.Client.Encryption.DeviceLists.Sign(list, primary.Store.IdentityKeyPair)));

        Assert.False(lists.KnownPrimaryOnly(alice));
        Assert.Equal(2, lists.CurrentDevices(alice, devices, out generation));
        Assert.Equal((4ul, (byte)1, (byte)3), (generation, devices[0], devices[1]));
        Assert.Equal(2, lists.CurrentDevices(alice, devices, out _)); // and now from the cache

        // The account registered again with another key: the old list is no one's, the primary is alone again.
        fixture.Store.Delete(key.AsSpan(0, StoreKeys.AccountKey(key, alice)));
        Assert.Equal(CreateAccountResult.Created, await accounts.CreateAsync("alice", TestClient.NewKey(), 1));
        Assert.Equal(1, lists.CurrentDevices(alice, devices, out generation));
        Assert.Equal(0ul, generation);
    }
}
