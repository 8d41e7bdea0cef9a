using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Server.Accounts;
using FastChat.Server.Storage;
using FastChat.Signal.Curve;

namespace FastChat.Server.Prekeys;

/// <summary>What a bundle fetch took from the store (with the device list that names the devices), and whom to tell their stock ran low.</summary>
internal sealed record PrekeyTake(PrekeyFetchStatus Status, IReadOnlyList<DevicePrekeyBundle> Bundles, IReadOnlyList<(byte Device, PrekeyStatusBody Notice)> LowStockNotices,
    SignedDeviceList? DeviceList = null);

/// <summary>
/// The prekey directory's durable state, at the user's home (records from <see cref="DevicePrekeys"/>).
/// Every change to a user's prekeys happens under that user's lock here, asks the ownership gate
/// first, and is answered only once a commit (and the in-sync replicas) hold it: a one-time prekey
/// handed out is gone for good before anyone sees it, so no crash or failover hands it out twice.
/// </summary>
internal sealed class PrekeyStore(FasterStore store, GroupCommit commit, IOwnershipGate gate, AccountStore accounts, DeviceLists.DeviceListStore deviceLists,
    PrekeyOptions options, TimeProvider time)
{
    private static readonly long HandoutWindowMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    private readonly object[] _locks = Enumerable.Range(0, 256).Select(_ => new object()).ToArray();

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Validates and stores an upload from <paramref name="user"/>'s <paramref name="device"/>; returns once it is durable.</summary>
    public async Task<PrekeyStatusBody> UploadAsync(string user, byte device, PrekeyUploadBody upload)
    {
        var name = Encoding.ASCII.GetBytes(user);
        DevicePrekeys? record;
        PrekeyStatusCode status;
        lock (LockOf(user))
        {
            if (!gate.MayWrite(name)) return Status(upload.RequestId, PrekeyStatusCode.Unavailable, null, "your account is moving to another server; retry shortly");
            record = Read(name, device);
            status = Apply(ref record, upload, out string problem);
            if (status != PrekeyStatusCode.Stored) return Status(upload.RequestId, status, record, problem);
            Write(name, device, record!);
        }
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return Status(upload.RequestId, PrekeyStatusCode.Stored, record, "stored");
    }

    /// <summary>
    /// One bundle per device of <paramref name="user"/> (the devices its signed list names, or the
    /// primary before it publishes one), each with a one-time prekey while the
    /// device has some and its hourly hand-out budget lasts; returns once the hand-outs are durable.
    /// </summary>
    public async Task<PrekeyTake> TakeBundlesAsync(string user)
    {
        var name = Encoding.ASCII.GetBytes(user);
        var bundles = new List<DevicePrekeyBundle>();
        var notices = new List<(byte, PrekeyStatusBody)>();
        bool wrote = false;
        SignedDeviceList? deviceList;
        lock (LockOf(user))
        {
            if (!gate.MayWrite(name)) return new PrekeyTake(PrekeyFetchStatus.Unavailable, [], []);
            if (!accounts.Exists(name)) return new PrekeyTake(PrekeyFetchStatus.UnknownUser, [], []);
            deviceList = deviceLists.ReadCurrent(user);
            foreach (byte device in deviceLists.DeviceIds(deviceList))
            {
                if (Read(name, device) is not { } record) continue;
                var oneTime = TakeOneTime(record);
                if (oneTime is not null)
                {
                    Write(name, device, record);
                    wrote = true;
                    if (record.Stock.Count < options.LowWater) notices.Add((device, Status(0, PrekeyStatusCode.Stored, record, "one-time prekeys are running low")));
                }
                bundles.Add(new DevicePrekeyBundle(device, record.RegistrationId, record.IdentityKey, record.SignedPrekey, oneTime));
            }
        }
        if (bundles.Count == 0) return new PrekeyTake(PrekeyFetchStatus.NoPrekeys, [], [], deviceList);
        if (wrote) await commit.WaitForCommitAsync().ConfigureAwait(false);
        return new PrekeyTake(PrekeyFetchStatus.Found, bundles, notices, deviceList);
    }

    /// <summary>At login: a notice when the device's stock is low or its signed prekey is due for rotation; null otherwise.</summary>
    public PrekeyStatusBody? LoginNotice(string user, byte device)
    {
        if (Read(Encoding.ASCII.GetBytes(user), device) is not { } record) return null;
        if (record.Stock.Count < options.LowWater) return Status(0, PrekeyStatusCode.Stored, record, "one-time prekeys are running low");
        if (NowMs - record.SignedPrekeyUploadedMs > options.SignedPrekeyRotation.TotalMilliseconds)
            return Status(0, PrekeyStatusCode.Stored, record, "the signed prekey is due for rotation");
        return null;
    }

    /// <summary>Returns once every prekey change that started before the call has finished (see <see cref="IOwnershipGate"/>).</summary>
    public void Quiesce()
    {
        foreach (var gateLock in _locks)
            lock (gateLock) { }
    }

    private PrekeyStatusCode Apply(ref DevicePrekeys? record, PrekeyUploadBody upload, out string problem)
    {
        problem = "";
        // A new identity key starts the device over: its old prekeys belong to the old identity.
        bool newIdentity = record is null || !record.IdentityKey.AsSpan().SequenceEqual(upload.IdentityKey);
        if (newIdentity && upload.SignedPrekey is null)
        {
            problem = "a new identity key needs a signed prekey";
            return PrekeyStatusCode.SignedPrekeyRequired;
        }
        if (upload.SignedPrekey is { } signed && !Verifies(upload.IdentityKey, signed))
        {
            problem = "the signed prekey's signature does not verify with the identity key";
            return PrekeyStatusCode.BadSignature;
        }
        int stock = newIdentity ? 0 : record!.Stock.Count;
        if (upload.OneTimePrekeys.Count > options.MaxPerUpload || stock + upload.OneTimePrekeys.Count > options.MaxStock)
        {
            problem = $"at most {options.MaxPerUpload} one-time prekeys per upload and {options.MaxStock} in stock";
            return PrekeyStatusCode.TooMany;
        }
        var ids = new HashSet<uint>(newIdentity ? [] : record!.Stock.Select(k => k.Id));
        if (upload.OneTimePrekeys.Any(k => !ids.Add(k.Id)))
        {
            problem = "a one-time prekey id repeats";
            return PrekeyStatusCode.DuplicateId;
        }
        if (newIdentity)
            record = new DevicePrekeys { RegistrationId = upload.RegistrationId, IdentityKey = upload.IdentityKey, SignedPrekey = upload.SignedPrekey! };
        record!.RegistrationId = upload.RegistrationId;
        if (upload.SignedPrekey is { } rotated)
        {
            record.SignedPrekey = rotated;
            record.SignedPrekeyUploadedMs = NowMs;
        }
        record.Stock.AddRange(upload.OneTimePrekeys);
        return PrekeyStatusCode.Stored;
    }

    private static bool Verifies(byte[] identityKey, SignedPrekey signed) =>
        SignalPublicKey.TryParse(identityKey, out var identity) && XEdDsa.Verify(identity, signed.PublicKey, signed.Signature);

    private OneTimePrekey? TakeOneTime(DevicePrekeys record)
    {
        long now = NowMs;
        if (now - record.HandoutWindowStartMs >= HandoutWindowMs)
        {
            record.HandoutWindowStartMs = now;
            record.HandoutsInWindow = 0;
        }
        if (record.Stock.Count == 0 || record.HandoutsInWindow >= options.HandoutsPerHour) return null;
        var key = record.Stock[0];
        record.Stock.RemoveAt(0);
        record.HandoutsInWindow++;
        return key;
    }

    private PrekeyStatusBody Status(ulong requestId, PrekeyStatusCode code, DevicePrekeys? record, string message) =>
        new(requestId, code, record?.Stock.Count ?? 0, options.LowWater, record?.SignedPrekey.Id ?? 0,
            record is null ? 0 : Math.Max(0, (NowMs - record.SignedPrekeyUploadedMs) / 1000), message);

    /// <summary>A device left the account: its prekeys go (durably with the next commit).</summary>
    public void Remove(string user, byte device)
    {
        var name = Encoding.ASCII.GetBytes(user);
        lock (LockOf(user))
        {
            if (!gate.MayWrite(name)) return;
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            store.Delete(key[..StoreKeys.PrekeyKey(key, name, device)]);
        }
        commit.MarkDirty();
    }

    private DevicePrekeys? Read(ReadOnlySpan<byte> user, byte device)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return store.Read(key[..StoreKeys.PrekeyKey(key, user, device)]) is { } value ? DevicePrekeys.Decode(value) : null;
    }

    private void Write(ReadOnlySpan<byte> user, byte device, DevicePrekeys record)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        store.Upsert(key[..StoreKeys.PrekeyKey(key, user, device)], record.Encode());
    }

    private object LockOf(string user) => _locks[(uint)StringComparer.Ordinal.GetHashCode(user) % (uint)_locks.Length];
}
