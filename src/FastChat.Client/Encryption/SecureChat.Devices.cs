using FastChat.Protocol.Crypto;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Client.Encryption;

/// <summary>
/// This account's devices and everyone's device lists (protocol-spec/13-devices.md): the primary
/// publishes the signed list, links a waiting device by the code it shows and unlinks devices;
/// every device keeps the last list it verified for each account, refuses an older or forked one
/// from the server, and reports changes (<see cref="DevicesChanged"/>) so the user can be warned.
/// </summary>
public sealed partial class SecureChat
{
    /// <summary><paramref name="account"/>'s signed device list changed: devices added and removed since this device last saw it.</summary>
    public event Action<string, byte[], byte[]>? DevicesChanged;

    /// <summary>The code this device shows while it waits to be linked; the user types it on the primary.</summary>
    public string LinkCodeForThisDevice => LinkCode.Format(LinkCode.Compute(Me, _client.DeviceKey, PrekeyMaterial.IdentityKey(_store)));

    /// <summary>The last verified device list of <paramref name="account"/> (this one's too); null if none was seen.</summary>
    public DeviceList? KnownDevices(string account)
    {
        lock (_storeLock) return _store.LoadDeviceList(account)?.List;
    }

    /// <summary>
    /// First publish, or a fresh start: a new signed prekey and <see cref="PrekeyBatch"/> one-time
    /// prekeys; the primary then signs and publishes its device list (keeping the companions it
    /// has), a companion fetches its account's list instead.
    /// </summary>
    public async Task PublishAsync(CancellationToken ct = default)
    {
        await UploadAsync(newSignedPrekey: true, PrekeyBatch, ct).ConfigureAwait(false);
        lock (_storeLock) _store.SetNumber("device_id", _client.DeviceId);
        if (_client.DeviceId != DeviceList.PrimaryDevice)
        {
            await RefreshDevicesAsync(Me, ct).ConfigureAwait(false);
            return;
        }
        await PublishListAsync(Companions(), ct).ConfigureAwait(false);
    }

    /// <summary>On the primary: links the waiting device that shows <paramref name="code"/>; returns its device id.</summary>
    public async Task<byte> LinkDeviceAsync(string code, CancellationToken ct = default)
    {
        RequirePrimary("links devices");
        string wanted = LinkCode.Normalise(code);
        var requests = await _client.QueryLinkRequestsAsync(ct).ConfigureAwait(false);
        var request = requests.FirstOrDefault(r => LinkCode.Compute(Me, r.NoiseKey, r.IdentityKey) == wanted)
            ?? throw new SecureChatException("no device waiting to be linked shows that code: check it, or start linking on the new device again");
        var companions = Companions();
        if (companions.FirstOrDefault(d => d.NoiseKey.AsSpan().SequenceEqual(request.NoiseKey)) is { } linked) return linked.DeviceId;
        byte id = Enumerable.Range(DeviceList.PrimaryDevice + 1, ProtocolLimits.MaxDevicesPerUser - 1).Select(i => (byte)i)
            .FirstOrDefault(i => companions.All(d => d.DeviceId != i));
        if (id == 0) throw new SecureChatException("this account has as many devices as it can have: unlink one first");
        await PublishListAsync([.. companions, new DeviceEntry(id, request.NoiseKey, request.IdentityKey)], ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>On the primary: removes <paramref name="device"/> from the list; the server then closes it and drops its queue.</summary>
    public async Task UnlinkDeviceAsync(byte device, CancellationToken ct = default)
    {
        RequirePrimary("unlinks devices");
        var companions = Companions();
        if (companions.All(d => d.DeviceId != device)) throw new SecureChatException($"this account has no device {device}");
        await PublishListAsync(companions.Where(d => d.DeviceId != device).ToList(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches <paramref name="account"/>'s list now, keeps it if it verifies, and opens the
    /// messages held from its companions that it names; returns those.
    /// </summary>
    public async Task<IReadOnlyList<OpenedMessage>> RefreshDevicesAsync(string account, CancellationToken ct = default)
    {
        var answer = await FetchAsync(account, ct).ConfigureAwait(false);
        (byte[] Added, byte[] Removed)? change;
        string[] senders;
        lock (_storeLock)
        {
            (_, change) = VerifyAndKeep(account, answer);
            senders = _store.HeldSenders()
                .Where(s => DeviceAddress.TryParse(s, out var user, out byte device) && user == account && device != DeviceList.PrimaryDevice).ToArray();
        }
        if (change is { } c) DevicesChanged?.Invoke(account, c.Added, c.Removed);
        var opened = new List<OpenedMessage>();
        foreach (var sender in senders)
        {
            IReadOnlyList<(ulong MessageId, byte[] Payload)> held;
            lock (_storeLock) held = _store.TakeHeld(sender);
            opened.AddRange(held.Select(h => Open(sender, h.MessageId, h.Payload, null)));
        }
        return opened;
    }

    private void RequirePrimary(string what)
    {
        if (_client.DeviceId != DeviceList.PrimaryDevice) throw new SecureChatException($"only the account's primary device {what}");
    }

    private List<DeviceEntry> Companions()
    {
        lock (_storeLock)
            return _store.LoadDeviceList(Me)?.List.Devices.Where(d => d.DeviceId != DeviceList.PrimaryDevice).ToList() ?? [];
    }

    private async Task PublishListAsync(IReadOnlyList<DeviceEntry> companions, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            SignedDeviceList signed;
            lock (_storeLock)
            {
                long last = Math.Max(_store.GetNumber("device_list_generation", 0), (long)(_store.LoadDeviceList(Me)?.List.Generation ?? 0));
                var primary = new DeviceEntry(DeviceList.PrimaryDevice, _client.DeviceKey, PrekeyMaterial.IdentityKey(_store));
                var list = new DeviceList(Me, (ulong)last + 1, NowMs, [primary, .. companions.OrderBy(d => d.DeviceId)]);
                signed = DeviceLists.Sign(list, _store.IdentityKeyPair);
            }
            var status = await _client.PublishDeviceListAsync(signed, ct).ConfigureAwait(false);
            lock (_storeLock)
            {
                if (status.Status == DeviceListStatusCode.Stored)
                {
                    _store.SetNumber("device_list_generation", (long)signed.List.Generation);
                    _store.SaveDeviceList(Me, signed);
                    return;
                }
                // This store lost count (restored from an old copy): go on from the server's generation.
                if (status.Status == DeviceListStatusCode.StaleGeneration && attempt == 0) _store.SetNumber("device_list_generation", (long)status.Generation);
                else throw new SecureChatException($"the device list was refused: {status.Message}");
            }
        }
    }

    /// <summary>
    /// Checks a fetch's list and bundles against the account key this device trusts (pinning it
    /// the first time), refuses a list older than or different from one of the same generation
    /// already seen (a server rolling a removal back), and keeps it. Under the store lock.
    /// </summary>
    private (DeviceList? List, (byte[] Added, byte[] Removed)? Change) VerifyAndKeep(string account, PrekeyBundlesBody answer)
    {
        bool mine = account == Me && _client.DeviceId == DeviceList.PrimaryDevice;
        byte[]? trusted = mine ? PrekeyMaterial.IdentityKey(_store) : _store.TrustedIdentity(Address(account));
        try { DeviceLists.CheckBundles(answer, trusted); }
        catch (DeviceListException ex) when (ex.Message.Contains("account key changed", StringComparison.Ordinal)) { throw new IdentityChangedException(account); }
        if (answer.DeviceList is not { } signed) return (null, null);
        var list = signed.List;
        var previous = _store.LoadDeviceList(account);
        if (previous is not null)
        {
            var before = previous.List;
            if (list.Generation < before.Generation)
                throw new DeviceListException($"the server offered {account}'s device list {list.Generation}, older than list {before.Generation} this device has seen");
            if (list.Generation == before.Generation && !signed.Statement.AsSpan().SequenceEqual(previous.Statement))
                throw new DeviceListException($"{account} has two different device lists numbered {list.Generation}");
        }
        if (trusted is null && Signal.Curve.SignalPublicKey.TryParse(list.Primary.IdentityKey, out var accountKey)) _store.SaveIdentity(Address(account), accountKey);
        _store.SaveDeviceList(account, signed);
        if (previous is null) return (list, null);
        static bool Same(DeviceEntry a, DeviceEntry b) => a.DeviceId == b.DeviceId && a.NoiseKey.AsSpan().SequenceEqual(b.NoiseKey) && a.IdentityKey.AsSpan().SequenceEqual(b.IdentityKey);
        var added = list.Devices.Where(d => !previous.List.Devices.Any(p => Same(p, d))).Select(d => d.DeviceId).ToArray();
        var removed = previous.List.Devices.Where(p => !list.Devices.Any(d => Same(p, d))).Select(d => d.DeviceId).ToArray();
        return added.Length + removed.Length == 0 ? (list, null) : (list, (added, removed));
    }
}
