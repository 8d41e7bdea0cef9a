using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Unit;

/// <summary>What a client refuses of what a server serves: the checks that keep a server from adding a device of its own.</summary>
public class DeviceListVerificationTests
{
    private readonly SignalDevice _primary = new();
    private readonly SignalDevice _laptop = new();

    private DeviceList AliceList(params DeviceEntry[] more) =>
        new("alice", 2, 1_700_000_000_000, [new DeviceEntry(1, TestClient.NewKey(), _primary.IdentityKey), .. more]);

    private static DevicePrekeyBundle Bundle(uint device, SignalDevice keys) =>
        new(device, keys.Store.RegistrationId, keys.IdentityKey, keys.NewSignedPrekey(1), null);

    private static PrekeyBundlesBody Answer(SignedDeviceList? list, params DevicePrekeyBundle[] bundles) =>
        new(1, PrekeyFetchStatus.Found, "alice", bundles, 0, list);

    [Fact]
    public void Bundles_of_listed_devices_with_their_listed_keys_pass()
    {
        var signed = DeviceLists.Sign(AliceList(new DeviceEntry(2, TestClient.NewKey(), _laptop.IdentityKey)), _primary.Store.IdentityKeyPair);
        var bundles = DeviceLists.CheckBundles(Answer(signed, Bundle(1, _primary), Bundle(2, _laptop)), _primary.IdentityKey);
        Assert.Equal(2, bundles.Count);
    }

    [Fact]
    public void A_device_the_list_does_not_name_or_another_identity_key_is_refused()
    {
        var signed = DeviceLists.Sign(AliceList(), _primary.Store.IdentityKeyPair);
        var injected = Assert.Throws<DeviceListException>(() => DeviceLists.CheckBundles(Answer(signed, Bundle(1, _primary), Bundle(2, new SignalDevice()))));
        Assert.Contains("not in the signed device list", injected.Message);
        var swapped = Assert.Throws<DeviceListException>(() => DeviceLists.CheckBundles(Answer(signed, Bundle(1, new SignalDevice()))));
        Assert.Contains("another identity key", swapped.Message);
        // No list at all: only the primary's bundle can be taken on trust.
        Assert.Throws<DeviceListException>(() => DeviceLists.CheckBundles(Answer(null, Bundle(1, _primary), Bundle(2, _laptop))));
        Assert.Single(DeviceLists.CheckBundles(Answer(null, Bundle(1, _primary))));
    }

    [Fact]
    public void A_list_re_signed_by_another_key_or_altered_after_signing_is_refused()
    {
        var signed = DeviceLists.Sign(AliceList(), _primary.Store.IdentityKeyPair);
        // The server builds its own list with its own "primary" identity: it verifies, but not with the key alice's contacts trust.
        var mallory = new SignalDevice();
        var impostor = DeviceLists.Sign(new DeviceList("alice", 3, 0, [new DeviceEntry(1, TestClient.NewKey(), mallory.IdentityKey)]), mallory.Store.IdentityKeyPair);
        Assert.Contains("account key changed", Assert.Throws<DeviceListException>(() => DeviceLists.Verify(impostor, "alice", _primary.IdentityKey)).Message);
        // Adding a device to a signed statement breaks the signature.
        var longer = AliceList(new DeviceEntry(2, TestClient.NewKey(), mallory.IdentityKey)).Encode();
        Assert.Throws<DeviceListException>(() => DeviceLists.Verify(signed with { Statement = longer }, "alice"));
        Assert.Throws<DeviceListException>(() => DeviceLists.Verify(signed, "bob"));
        Assert.Equal(2ul, DeviceLists.Verify(signed, "alice", _primary.IdentityKey).Generation);
    }

    [Fact]
    public void A_statement_breaking_the_layout_rules_does_not_decode()
    {
        var noise = TestClient.NewKey();
        var good = AliceList(new DeviceEntry(2, TestClient.NewKey(), _laptop.IdentityKey)).Encode();
        Assert.True(DeviceList.TryDecode(good, out _));
        Assert.False(DeviceList.TryDecode(good[..^1], out _)); // truncated
        Assert.False(DeviceList.TryDecode([.. good, 0], out _)); // trailing byte
        Assert.Throws<ArgumentException>(() => new DeviceList("alice", 1, 0, [new DeviceEntry(1, noise, _primary.IdentityKey), new DeviceEntry(2, noise, _laptop.IdentityKey)]).Encode()); // one Noise key twice
        Assert.Throws<ArgumentException>(() => new DeviceList("alice", 1, 0, [new DeviceEntry(2, noise, _primary.IdentityKey)]).Encode()); // no primary first
        Assert.Throws<ArgumentException>(() => AliceList(new DeviceEntry(1, TestClient.NewKey(), _laptop.IdentityKey)).Encode()); // ids must rise
        var wrongDomain = (byte[])good.Clone();
        wrongDomain[0] ^= 1;
        Assert.False(DeviceList.TryDecode(wrongDomain, out _));
    }
}
