using FastChat.Protocol.Frames;
using FastChat.Signal.Curve;

namespace FastChat.Client.Encryption;

/// <summary>Why a fetched device list or bundle is not trusted: the server (or someone on the way) may be lying.</summary>
public sealed class DeviceListException(string message) : Exception(message);

/// <summary>
/// Signed device lists (protocol-spec/13-devices.md): the primary signs which devices its account
/// has; everyone else checks that signature against the account key they know, and checks every
/// bundle against the list, so a server cannot add a device of its own to listen in.
/// </summary>
public static class DeviceLists
{
    /// <summary>The list signed by <paramref name="accountKey"/>, which must be the primary's identity key.</summary>
    public static SignedDeviceList Sign(DeviceList list, SignalKeyPair accountKey)
    {
        if (!list.Primary.IdentityKey.AsSpan().SequenceEqual(accountKey.PublicKey.Serialized))
            throw new ArgumentException("the account key is the primary device's identity key", nameof(accountKey));
        var statement = list.Encode();
        return new SignedDeviceList(statement, accountKey.Sign(statement));
    }

    /// <summary>
    /// The list, if it is <paramref name="user"/>'s and its signature verifies with its primary's
    /// identity key; and when <paramref name="trustedAccountKey"/> is given (the one the user last
    /// accepted, shown in the safety number), that key must be the signer.
    /// </summary>
    public static DeviceList Verify(SignedDeviceList signed, string user, byte[]? trustedAccountKey = null)
    {
        var list = signed.List;
        if (list.User != user) throw new DeviceListException($"the device list is {list.User}'s, not {user}'s");
        if (!SignalPublicKey.TryParse(list.Primary.IdentityKey, out var accountKey) || !XEdDsa.Verify(accountKey, signed.Statement, signed.Signature))
            throw new DeviceListException($"{user}'s device list is not signed by its primary device");
        if (trustedAccountKey is not null && !trustedAccountKey.AsSpan().SequenceEqual(list.Primary.IdentityKey))
            throw new DeviceListException($"{user}'s account key changed: verify the new safety number before trusting it");
        return list;
    }

    /// <summary>
    /// The bundles of a fetch, checked: with a signed list every bundle must be for a listed device
    /// with that device's identity key; without one, only the primary's bundle is accepted (nothing vouches for others).
    /// </summary>
    public static IReadOnlyList<DevicePrekeyBundle> CheckBundles(PrekeyBundlesBody answer, byte[]? trustedAccountKey = null)
    {
        if (answer.DeviceList is null)
        {
            if (answer.Bundles.Any(b => b.DeviceId != DeviceList.PrimaryDevice))
                throw new DeviceListException($"{answer.User} has no signed device list, yet the server offers bundles of other devices");
            return answer.Bundles;
        }
        var list = Verify(answer.DeviceList, answer.User, trustedAccountKey);
        foreach (var bundle in answer.Bundles)
        {
            if (bundle.DeviceId > byte.MaxValue || list.Find((byte)bundle.DeviceId) is not { } device)
                throw new DeviceListException($"{answer.User}'s device {bundle.DeviceId} is not in the signed device list");
            if (!device.IdentityKey.AsSpan().SequenceEqual(bundle.IdentityKey))
                throw new DeviceListException($"{answer.User}'s device {bundle.DeviceId} has another identity key than its signed list says");
        }
        return answer.Bundles;
    }
}
