using System.Text;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Signal;
using FastChat.Signal.Curve;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;

namespace FastChat.Client.Encryption;

/// <summary>
/// End-to-end encrypted chat over a <see cref="FastChatClient"/> with the device's
/// <see cref="DeviceStore"/>: publishes its keys and (on the primary) the signed device list,
/// encrypts every text once per device of the contact and once per other device of this account
/// (SecureChat.Sending.cs), links and unlinks devices (SecureChat.Devices.cs), opens what
/// arrives, keeps prekeys topped up when the server says they run low, and holds messages from a
/// changed identity or an unlisted device until they are accepted or vouched for. The store is used under one lock.
/// </summary>
public sealed partial class SecureChat : IDisposable
{
    public const int PrekeyBatch = 100;
    private readonly FastChatClient _client;
    private readonly DeviceStore _store;
    private readonly object _storeLock = new();
    private readonly TimeProvider _time;

    public SecureChat(FastChatClient client, DeviceStore store, TimeProvider? time = null)
    {
        (_client, _store, _time) = (client, store, time ?? TimeProvider.System);
        _client.PrekeyNotice += OnPrekeyNotice;
        _client.GroupChanged += OnGroupChanged;
    }

    /// <summary>Signal's address of a user's device (device 1: the primary).</summary>
    public static string Address(string user, byte device = DeviceList.PrimaryDevice) => $"{user}.{device}";

    private string Me => _client.UserName;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Decrypts an incoming message; never throws for what a sender or server can get wrong.</summary>
    public OpenedMessage Open(IncomingMessage message) => Open(message.From, message.MessageId, message.Payload, message.ServerTime);

    /// <summary>
    /// As <see cref="Open(IncomingMessage)"/>; a message from a companion device the sender's list
    /// as last seen does not name makes it fetch that list again (a device linked since). Returns
    /// what can be shown now: this message, after any held ones the new list released; none if it is still held.
    /// </summary>
    public async Task<IReadOnlyList<OpenedMessage>> OpenAsync(IncomingMessage message, CancellationToken ct = default)
    {
        var opened = Open(message);
        if (opened.Status != OpenedStatus.UnlistedDevice) return [opened];
        return await RefreshDevicesAsync(opened.Sender, ct).ConfigureAwait(false);
    }

    /// <summary>Accepts <paramref name="contact"/>'s new identity; returns the messages held from it, opened.</summary>
    public IReadOnlyList<OpenedMessage> AcceptIdentity(string contact)
    {
        IReadOnlyList<(ulong MessageId, byte[] Payload)> held;
        lock (_storeLock)
        {
            _store.ForgetIdentity(Address(contact));
            held = _store.TakeHeld(contact);
        }
        return held.Select(h => Open(contact, h.MessageId, h.Payload, null)).ToArray();
    }

    /// <summary>The 60 digits both users see for each other's identities; null before any session with <paramref name="contact"/>.</summary>
    public string? SafetyNumber(string contact)
    {
        lock (_storeLock) return SafetyNumberOf(_store, contact);
    }

    /// <inheritdoc cref="SafetyNumber"/>
    public static string? SafetyNumberOf(DeviceStore store, string contact)
    {
        if (store.TrustedIdentity(Address(contact)) is not { } theirs || !SignalPublicKey.TryParse(theirs, out var remote)) return null;
        return Signal.Fingerprints.SafetyNumber.Compute(Encoding.ASCII.GetBytes(store.UserName), store.IdentityKeyPair.PublicKey,
            Encoding.ASCII.GetBytes(contact), remote);
    }

    private OpenedMessage Open(string from, ulong messageId, byte[] payload, DateTimeOffset? serverTime)
    {
        var opened = Decrypt(from, messageId, payload, serverTime);
        if (opened.Status is OpenedStatus.Encrypted or OpenedStatus.Unencrypted && opened.Group is null)
        {
            lock (_storeLock)
                _store.AddHistory(new HistoryEntry(opened.To ?? opened.Sender, opened.To is not null, opened.From, messageId,
                    opened.SentAt ?? _time.GetUtcNow(), opened.Text ?? "", opened.Status == OpenedStatus.Encrypted));
        }
        return opened;
    }

    /// <summary>The history kept so far with <paramref name="contact"/>, oldest first.</summary>
    public IReadOnlyList<HistoryEntry> History(string contact, int limit = 50)
    {
        lock (_storeLock) return _store.History(contact, limit);
    }

    private OpenedMessage Decrypt(string from, ulong messageId, byte[] payload, DateTimeOffset? serverTime)
    {
        if (!E2ePayload.TryUnwrap(payload, out var type, out var body))
            return new OpenedMessage(from, messageId, OpenedStatus.Unencrypted, Encoding.UTF8.GetString(payload), serverTime);
        if (!DeviceAddress.TryParse(from, out var user, out byte device))
            return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, serverTime, "not a device address");
        byte[] plaintext;
        lock (_storeLock)
        {
            if (device != DeviceList.PrimaryDevice && !TrustListedIdentity(user, device))
                return HoldUnlisted(from, messageId, payload, serverTime);
            var cipher = new SessionCipher(_store, Address(user, device));
            try { plaintext = type == CiphertextType.PreKey ? cipher.DecryptPreKeyMessage(body) : cipher.DecryptMessage(body); }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.UntrustedIdentity)
            {
                if (device != DeviceList.PrimaryDevice) return HoldUnlisted(from, messageId, payload, serverTime);
                _store.Hold(from, messageId, payload);
                return new OpenedMessage(from, messageId, OpenedStatus.IdentityChanged, null, serverTime, new IdentityChangedException(from).Message);
            }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.DuplicateMessage)
            {
                return new OpenedMessage(from, messageId, OpenedStatus.Duplicate, null, serverTime, ex.Message);
            }
            catch (SignalProtocolException ex)
            {
                return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, serverTime, ex.Message);
            }
        }
        if (!PlaintextEnvelope.TryDecode(plaintext, out var envelope))
            return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, serverTime, "not a FastChat envelope");
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(envelope.SentMs);
        return envelope.Kind switch
        {
            EnvelopeKind.Text => new OpenedMessage(from, messageId, OpenedStatus.Encrypted, Encoding.UTF8.GetString(envelope.Body), sentAt),
            EnvelopeKind.SentCopy when user == Me && SentCopy.TryDecode(envelope.Body, out var to, out var text) =>
                new OpenedMessage(from, messageId, OpenedStatus.Encrypted, text, sentAt, To: to),
            EnvelopeKind.SenderKey => TakeSenderKey(from, messageId, envelope.Body, sentAt),
            EnvelopeKind.Media when Media.MediaPointer.TryDecode(envelope.Body, out var pointer) =>
                new OpenedMessage(from, messageId, OpenedStatus.Encrypted, $"[file] {pointer.FileName} ({pointer.Keys.PlainLength} bytes)", sentAt, Media: pointer),
            _ => new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, serverTime, "a FastChat envelope this client does not read from this sender"),
        };
    }

    /// <summary>
    /// A companion's identity is vouched for by its account's signed list, not by the user: the
    /// identity this device trusts for it follows the last verified list. False if the list does not name it.
    /// </summary>
    private bool TrustListedIdentity(string user, byte device)
    {
        if (_store.LoadDeviceList(user)?.List.Find(device) is not { } listed) return false;
        string address = Address(user, device);
        if (_store.TrustedIdentity(address) is { } trusted && trusted.AsSpan().SequenceEqual(listed.IdentityKey)) return true;
        if (!SignalPublicKey.TryParse(listed.IdentityKey, out var key)) return false;
        _store.SaveIdentity(address, key);
        return true;
    }

    private OpenedMessage HoldUnlisted(string from, ulong messageId, byte[] payload, DateTimeOffset? serverTime)
    {
        _store.Hold(from, messageId, payload);
        return new OpenedMessage(from, messageId, OpenedStatus.UnlistedDevice, null, serverTime,
            $"{from} is not in the signed device list this device knows: held until a newer list names it");
    }

    private async Task UploadAsync(bool newSignedPrekey, int count, CancellationToken ct)
    {
        SignedPrekey? signed = null;
        IReadOnlyList<OneTimePrekey> oneTime;
        lock (_storeLock)
        {
            if (newSignedPrekey)
            {
                uint id = (uint)_store.GetNumber("signed_prekey_id", 0) + 1;
                signed = PrekeyMaterial.NewSignedPrekey(_store, id);
                _store.SetNumber("signed_prekey_id", id);
                // The previous one stays for prekey messages still on their way (a rotation period, 7 days by default); older ones go.
                if (id > 2) _store.RemoveSignedPreKeysBefore(id - 1);
            }
            uint first = (uint)_store.GetNumber("next_prekey_id", 1);
            oneTime = PrekeyMaterial.NewOneTimePrekeys(_store, first, count);
            _store.SetNumber("next_prekey_id", first + count);
        }
        var status = await _client.UploadPrekeysAsync(_store.RegistrationId, PrekeyMaterial.IdentityKey(_store), signed, oneTime, ct).ConfigureAwait(false);
        if (status.Status != PrekeyStatusCode.Stored) throw new SecureChatException($"the prekeys were refused: {status.Message}");
    }

    /// <summary>Tops up one-time prekeys when low, rotates the signed prekey when due (the old private key stays in the store for sessions in flight).</summary>
    private void OnPrekeyNotice(PrekeyStatusBody notice)
    {
        bool low = notice.Stock < notice.LowWater, rotate = notice.Message.Contains("rotation", StringComparison.Ordinal);
        if (!low && !rotate) return;
        _ = Task.Run(async () =>
        {
            try { await UploadAsync(rotate, low ? Math.Max(0, PrekeyBatch - notice.Stock) : 0, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception ex) when (ex is FastChatException or SecureChatException or InvalidOperationException or TimeoutException) { TopUpFailed?.Invoke(ex); }
        });
    }

    /// <summary>An automatic top-up or rotation failed (it is tried again at the next notice).</summary>
    public event Action<Exception>? TopUpFailed;

    public void Dispose()
    {
        _client.PrekeyNotice -= OnPrekeyNotice;
        _client.GroupChanged -= OnGroupChanged;
    }
}
