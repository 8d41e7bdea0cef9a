using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Server.Accounts;
using FastChat.Server.Storage;
using FastChat.Signal.Curve;

namespace FastChat.Server.DeviceLists;

/// <summary>
/// The signed device lists, at each user's home (protocol-spec/13-devices.md). The server checks
/// what it can — the signature by the primary's identity key, a rising generation, the account key
/// unchanged since registration, the primary being the device registered to the account — but
/// clients do not trust it for that: they check the signature against the account key they know.
/// A publish asks the ownership gate, and is answered once durable (and on the in-sync replicas).
/// </summary>
internal sealed class DeviceListStore(FasterStore store, GroupCommit commit, IOwnershipGate gate, AccountStore accounts, DeviceOptions options)
{
    private static readonly byte[] PrimaryOnly = [DeviceList.PrimaryDevice];
    private readonly object[] _locks = Enumerable.Range(0, 256).Select(_ => new object()).ToArray();

    public SignedDeviceList? Read(ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return store.Read(key[..StoreKeys.DeviceListKey(key, user)]) is { } value ? StoredDeviceList.Decode(value) : null;
    }

    /// <summary>The devices bundles are served for: the listed ones, or the primary alone before a list is published.</summary>
    public IReadOnlyList<byte> DeviceIds(SignedDeviceList? list) =>
        list is null ? PrimaryOnly : list.List.Devices.Select(d => d.DeviceId).ToArray();

    public async Task<DeviceListStatusBody> PublishAsync(string user, DeviceListPublishBody publish)
    {
        var name = Encoding.ASCII.GetBytes(user);
        var list = publish.List.List;
        lock (_locks[(uint)StringComparer.Ordinal.GetHashCode(user) % (uint)_locks.Length])
        {
            if (!gate.MayWrite(name)) return Status(publish, DeviceListStatusCode.Unavailable, 0, "your account is moving to another server; retry shortly");
            var stored = Read(name);
            ulong storedGeneration = stored?.List.Generation ?? 0;
            var refusal = Check(user, publish.List, list, stored);
            if (refusal is { } problem) return Status(publish, problem.Code, storedGeneration, problem.Message);
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            store.Upsert(key[..StoreKeys.DeviceListKey(key, name)], StoredDeviceList.Encode(publish.List));
        }
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return Status(publish, DeviceListStatusCode.Stored, list.Generation, "stored");
    }

    private (DeviceListStatusCode Code, string Message)? Check(string user, SignedDeviceList signed, DeviceList list, SignedDeviceList? stored)
    {
        Span<byte> registered = stackalloc byte[32];
        if (list.User != user || !accounts.TryGetKey(user, registered) || !registered.SequenceEqual(list.Primary.NoiseKey))
            return (DeviceListStatusCode.NotPrimary, "the list's first device must be this account's registered device");
        if (list.Devices.Count > options.MaxDevices)
            return (DeviceListStatusCode.TooManyDevices, $"an account may have at most {options.MaxDevices} devices");
        if (!SignalPublicKey.TryParse(list.Primary.IdentityKey, out var accountKey) || !XEdDsa.Verify(accountKey, signed.Statement, signed.Signature))
            return (DeviceListStatusCode.BadSignature, "the signature does not verify with the primary's identity key");
        // A list from before a new registration (another primary Noise key) says nothing about this one.
        if (stored?.List is { } current && current.Primary.NoiseKey.AsSpan().SequenceEqual(registered))
        {
            if (!current.Primary.IdentityKey.AsSpan().SequenceEqual(list.Primary.IdentityKey))
                return (DeviceListStatusCode.AccountKeyChanged, "the account key changes only with a new registration");
            if (list.Generation <= current.Generation)
                return (DeviceListStatusCode.StaleGeneration, $"the generation must be above {current.Generation}");
        }
        return null;
    }

    /// <summary>Returns once every publish that started before the call has finished (see <see cref="IOwnershipGate"/>).</summary>
    public void Quiesce()
    {
        foreach (var stripe in _locks)
            lock (stripe) { }
    }

    private static DeviceListStatusBody Status(DeviceListPublishBody publish, DeviceListStatusCode code, ulong generation, string message) =>
        new(publish.RequestId, code, generation, message);
}
