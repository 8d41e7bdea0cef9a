using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
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
/// A user's lock (<see cref="LockFor"/>) is also held while a send is checked against the list and
/// its copies queued, so no publish falls between the two; it is taken before a queue's stripe
/// lock, never while holding one.
/// </summary>
internal sealed class DeviceListStore(FasterStore store, GroupCommit commit, IOwnershipGate gate, AccountStore accounts, DeviceOptions options)
{
    private static readonly byte[] PrimaryOnly = [DeviceList.PrimaryDevice];
    /// <summary>A stored record: 3 + statement (at most 40 + 16 × 66) + signature.</summary>
    private const int MaxRecordLength = 3 + 40 + 17 + ProtocolLimits.MaxDevicesPerUser * 66 + SignedDeviceList.SignatureLength;
    private readonly object[] _locks = Enumerable.Range(0, 256).Select(_ => new object()).ToArray();
    private readonly DeviceSetCache _cache = Watching(store);

    private static DeviceSetCache Watching(FasterStore store)
    {
        var cache = new DeviceSetCache();
        store.Watch(cache);
        return cache;
    }

    public object LockFor(ReadOnlySpan<byte> user) => _locks[System.IO.Hashing.XxHash32.HashToUInt32(user) % (uint)_locks.Length];

    /// <summary>
    /// Without allocating (per send): the devices of <paramref name="user"/>'s current list in
    /// ascending order and its generation; the primary alone at generation 0 when no list is
    /// stored or the stored one predates the account's registration. Call under <see cref="LockFor"/>.
    /// </summary>
    public int CurrentDevices(ReadOnlySpan<byte> user, Span<byte> deviceIds, out ulong generation)
    {
        int slot = DeviceSetCache.SlotOf(user);
        if (!_cache.TryGet(user, slot, out generation, out uint devices))
        {
            int epoch = _cache.EpochOf(slot);
            int count = ReadDevices(user, deviceIds, out generation);
            devices = 0;
            for (int i = 0; i < count; i++) devices |= 1u << deviceIds[i];
            _cache.Add(user, slot, epoch, generation, devices);
            return count;
        }
        int found = 0;
        for (int id = DeviceList.PrimaryDevice; devices >> id != 0; id++)
            if ((devices & (1u << id)) != 0) deviceIds[found++] = (byte)id;
        return found;
    }

    /// <summary>
    /// True when the cache knows <paramref name="user"/>'s current list names the primary alone
    /// (or there is none): a plain SEND may be queued without the lock. A publish racing it adds
    /// devices after the message, which is then older than the new list; it cannot remove the primary.
    /// </summary>
    public bool KnownPrimaryOnly(ReadOnlySpan<byte> user) =>
        _cache.TryGet(user, DeviceSetCache.SlotOf(user), out _, out uint devices) && devices == 1u << DeviceList.PrimaryDevice;

    private int ReadDevices(ReadOnlySpan<byte> user, Span<byte> deviceIds, out ulong generation)
    {
        generation = 0;
        deviceIds[0] = DeviceList.PrimaryDevice;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[MaxRecordLength];
        int length = store.Read(key[..StoreKeys.DeviceListKey(key, user)], value);
        if (length < 3) return 1;
        int statementLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(value[1..]);
        if (length < 3 + statementLength
            || !DeviceList.TryPeek(value.Slice(3, statementLength), out ulong stored, deviceIds, out int count, out var primaryNoise)
            || !IsCurrent(user, primaryNoise))
        {
            deviceIds[0] = DeviceList.PrimaryDevice;
            return 1;
        }
        generation = stored;
        return count;
    }

    /// <summary>The device of <paramref name="user"/>'s current list whose Noise key this is (sign-in of a companion).</summary>
    public byte? FindDevice(string user, ReadOnlySpan<byte> noiseKey)
    {
        var name = Encoding.ASCII.GetBytes(user);
        if (Read(name) is not { } signed) return null;
        var list = signed.List;
        return IsCurrent(name, list.Primary.NoiseKey) ? list.FindByNoiseKey(noiseKey)?.DeviceId : null;
    }

    /// <summary>The stored list if it belongs to the account's registration (its primary is the registered key).</summary>
    public SignedDeviceList? ReadCurrent(string user)
    {
        var name = Encoding.ASCII.GetBytes(user);
        return Read(name) is { } signed && IsCurrent(name, signed.List.Primary.NoiseKey) ? signed : null;
    }

    private bool IsCurrent(ReadOnlySpan<byte> user, ReadOnlySpan<byte> primaryNoiseKey)
    {
        Span<byte> registered = stackalloc byte[32];
        return accounts.TryGetKey(user, registered) && registered.SequenceEqual(primaryNoiseKey);
    }

    public SignedDeviceList? Read(ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return store.Read(key[..StoreKeys.DeviceListKey(key, user)]) is { } value ? StoredDeviceList.Decode(value) : null;
    }

    /// <summary>The devices bundles are served for: the listed ones, or the primary alone before a list is published.</summary>
    public IReadOnlyList<byte> DeviceIds(SignedDeviceList? list) =>
        list is null ? PrimaryOnly : list.List.Devices.Select(d => d.DeviceId).ToArray();

    /// <summary>Stores a new list; <see cref="DeviceListPublished.Previous"/> is the list it replaced (for the devices it removed).</summary>
    public async Task<DeviceListPublished> PublishAsync(string user, DeviceListPublishBody publish)
    {
        var name = Encoding.ASCII.GetBytes(user);
        var list = publish.List.List;
        SignedDeviceList? previous;
        lock (LockFor(name))
        {
            if (!gate.MayWrite(name)) return Refused(publish, DeviceListStatusCode.Unavailable, 0, "your account is moving to another server; retry shortly");
            var stored = Read(name);
            previous = stored is not null && IsCurrent(name, stored.List.Primary.NoiseKey) ? stored : null;
            ulong storedGeneration = stored?.List.Generation ?? 0;
            var refusal = Check(user, publish.List, list, stored);
            if (refusal is { } problem) return Refused(publish, problem.Code, storedGeneration, problem.Message);
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            store.Upsert(key[..StoreKeys.DeviceListKey(key, name)], StoredDeviceList.Encode(publish.List));
        }
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return new DeviceListPublished(Status(publish, DeviceListStatusCode.Stored, list.Generation, "stored"), previous?.List, list);
    }

    private static DeviceListPublished Refused(DeviceListPublishBody publish, DeviceListStatusCode code, ulong generation, string message) =>
        new(Status(publish, code, generation, message), null, null);

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

/// <summary>What a publish did: the answer, and when stored the list it replaced and the new one.</summary>
internal sealed record DeviceListPublished(DeviceListStatusBody Status, DeviceList? Previous, DeviceList? Current);
