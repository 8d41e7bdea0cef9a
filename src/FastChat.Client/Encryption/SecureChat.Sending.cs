using System.Text;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Signal;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;

namespace FastChat.Client.Encryption;

/// <summary>
/// Client fan-out (protocol-spec/13-devices.md): a text is encrypted once per device in the
/// contact's signed list and sent as one SEND_DEVICES naming the list's generation; a copy goes
/// to this account's other devices the same way. The server refuses a stale device set, so no
/// device is skipped silently: the list is fetched again and the send retried once.
/// </summary>
public sealed partial class SecureChat
{
    /// <summary>
    /// Encrypts <paramref name="text"/> for every device of <paramref name="contact"/> (starting
    /// sessions as needed) and sends it; returns its id once the server has it (✓). Then copies it
    /// to this account's other devices (a failure there is reported by <see cref="CopyFailed"/>, the message is sent).
    /// </summary>
    public async Task<ulong> SendTextAsync(string contact, string text, CancellationToken ct = default)
    {
        long sentMs = NowMs;
        ulong id = await SendEnvelopeAsync(contact, new PlaintextEnvelope(EnvelopeKind.Text, sentMs, Encoding.UTF8.GetBytes(text)), ct).ConfigureAwait(false);
        lock (_storeLock) _store.AddHistory(new HistoryEntry(contact, true, null, id, DateTimeOffset.FromUnixTimeMilliseconds(sentMs), text, true));
        if (contact != Me)
        {
            try { await SendEnvelopeAsync(Me, new PlaintextEnvelope(EnvelopeKind.SentCopy, sentMs, SentCopy.Encode(contact, text)), ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is FastChatException or SecureChatException or DeviceListException or IdentityChangedException) { CopyFailed?.Invoke(ex); }
        }
        return id;
    }

    /// <summary>The copy of a sent message for this account's other devices could not be sent.</summary>
    public event Action<Exception>? CopyFailed;

    /// <summary>Sends the envelope to every device of <paramref name="account"/> but this one; 0 when there is none.</summary>
    private async Task<ulong> SendEnvelopeAsync(string account, PlaintextEnvelope envelope, CancellationToken ct)
    {
        var padded = envelope.Encode();
        for (int attempt = 0; ; attempt++)
        {
            var list = await DevicesForSendingAsync(account, refresh: attempt > 0, ct).ConfigureAwait(false);
            if (list is null)
            {
                CiphertextMessage single;
                lock (_storeLock) single = new SessionCipher(_store, Address(account)).Encrypt(padded);
                return await _client.SendAsync(account, E2ePayload.Wrap(single), ct).ConfigureAwait(false);
            }
            var targets = Targets(account, list);
            if (targets.Count == 0) return 0;
            var copies = new List<(byte Device, byte[] Payload)>(targets.Count);
            lock (_storeLock)
            {
                foreach (byte device in targets)
                    copies.Add((device, E2ePayload.Wrap(new SessionCipher(_store, Address(account, device)).Encrypt(padded))));
            }
            try { return await _client.SendToDevicesAsync(account, list.Generation, copies, ct).ConfigureAwait(false); }
            catch (FastChatException ex) when (ex.Code == ErrorCode.StaleDevices && attempt == 0) { }
        }
    }

    /// <summary>The devices a message to <paramref name="account"/> goes to: all of its list, less this device when writing to its own account.</summary>
    private List<byte> Targets(string account, DeviceList list) =>
        list.Devices.Select(d => d.DeviceId).Where(id => account != Me || id != _client.DeviceId).ToList();

    /// <summary>
    /// The signed list to encrypt for, with a session for each target device; null for a contact
    /// without a list (an older client: its primary only). Uses the stored list while it covers
    /// every target, else fetches the bundles.
    /// </summary>
    private async Task<DeviceList?> DevicesForSendingAsync(string account, bool refresh, CancellationToken ct)
    {
        if (!refresh)
        {
            lock (_storeLock)
            {
                if (_store.LoadDeviceList(account)?.List is { } stored)
                {
                    if (Targets(account, stored).All(d => _store.LoadSession(Address(account, d)) is not null)) return stored;
                }
                else if (_store.GetNumber("unlisted/" + account, 0) == 1 && _store.LoadSession(Address(account)) is not null) return null;
            }
        }
        var answer = await FetchAsync(account, ct).ConfigureAwait(false);
        DeviceList? list;
        (byte[] Added, byte[] Removed)? change;
        lock (_storeLock)
        {
            (list, change) = VerifyAndKeep(account, answer);
            if (list is null)
            {
                _store.SetNumber("unlisted/" + account, 1);
                if (_store.LoadSession(Address(account)) is null) StartSession(account, DeviceList.PrimaryDevice, answer);
            }
            else
            {
                foreach (byte device in Targets(account, list))
                {
                    bool identityMoved = device != DeviceList.PrimaryDevice && !IdentityMatchesList(account, device, list);
                    if (device != DeviceList.PrimaryDevice) TrustListedIdentity(account, device);
                    if (identityMoved || _store.LoadSession(Address(account, device)) is null) StartSession(account, device, answer);
                }
            }
        }
        if (change is { } c) DevicesChanged?.Invoke(account, c.Added, c.Removed);
        return list;
    }

    private bool IdentityMatchesList(string account, byte device, DeviceList list) =>
        _store.TrustedIdentity(Address(account, device)) is not { } trusted || trusted.AsSpan().SequenceEqual(list.Find(device)!.IdentityKey);

    private void StartSession(string account, byte device, PrekeyBundlesBody answer)
    {
        var bundle = answer.Bundles.FirstOrDefault(b => b.DeviceId == device)
            ?? throw new SecureChatException($"{DeviceAddress.Format(account, device)} has not published its encryption keys yet: nothing was sent; try again in a moment");
        try { new SessionBuilder(_store, Address(account, device)).Process(PrekeyMaterial.ToSignal(bundle)); }
        catch (SignalProtocolException ex) when (ex.Kind == SignalError.UntrustedIdentity) { throw new IdentityChangedException(account); }
    }

    private async Task<PrekeyBundlesBody> FetchAsync(string account, CancellationToken ct)
    {
        var answer = await _client.FetchPrekeysAsync(account, ct).ConfigureAwait(false);
        if (answer.Status == PrekeyFetchStatus.Found) return answer;
        throw new SecureChatException(answer.Status switch
        {
            PrekeyFetchStatus.UnknownUser => $"there is no user {account}",
            PrekeyFetchStatus.NoPrekeys => $"{account} has not published encryption keys (an older client): nothing was sent",
            _ => $"{account}'s keys cannot be fetched now ({answer.Status}); retry in {Math.Max(1, answer.RetryAfterMs / 1000)} s",
        });
    }
}
