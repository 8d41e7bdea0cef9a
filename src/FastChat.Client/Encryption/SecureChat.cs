using System.Text;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Signal;
using FastChat.Signal.Curve;
using FastChat.Signal.Fingerprints;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;

namespace FastChat.Client.Encryption;

/// <summary>
/// End-to-end encrypted chat over a <see cref="FastChatClient"/> with the device's
/// <see cref="DeviceStore"/>: publishes its keys and signed device list, starts sessions from
/// bundles checked against the contact's list and trusted account key, encrypts every text in a
/// padded envelope, opens what arrives, keeps prekeys topped up when the server says they run low,
/// and holds messages from a changed identity until the user accepts it. The store is used under one lock.
/// </summary>
public sealed class SecureChat : IDisposable
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
    }

    /// <summary>Signal's address of a user's device (device 1: the primary).</summary>
    public static string Address(string user, byte device = DeviceList.PrimaryDevice) => $"{user}.{device}";

    /// <summary>First publish, or a fresh start: a new signed prekey, <see cref="PrekeyBatch"/> one-time prekeys and the device list naming this device.</summary>
    public async Task PublishAsync(CancellationToken ct = default)
    {
        await UploadAsync(newSignedPrekey: true, PrekeyBatch, ct).ConfigureAwait(false);
        DeviceListStatusBody status;
        SignedDeviceList signed;
        long generation;
        lock (_storeLock)
        {
            generation = _store.GetNumber("device_list_generation", 0) + 1;
            var list = new DeviceList(_client.UserName, (ulong)generation, _time.GetUtcNow().ToUnixTimeMilliseconds(),
                [new DeviceEntry(DeviceList.PrimaryDevice, _client.DeviceKey, _store.IdentityKeyPair.PublicKey.Serialized.ToArray())]);
            signed = DeviceLists.Sign(list, _store.IdentityKeyPair);
        }
        status = await _client.PublishDeviceListAsync(signed, ct).ConfigureAwait(false);
        if (status.Status != DeviceListStatusCode.Stored) throw new SecureChatException($"the device list was refused: {status.Message}");
        lock (_storeLock) _store.SetNumber("device_list_generation", generation);
    }

    /// <summary>Encrypts <paramref name="text"/> for <paramref name="contact"/> (starting a session if there is none) and sends it; returns its id once the server has it (✓).</summary>
    public async Task<ulong> SendTextAsync(string contact, string text, CancellationToken ct = default)
    {
        string address = Address(contact);
        bool hasSession;
        lock (_storeLock) hasSession = _store.LoadSession(address) is not null;
        if (!hasSession) await StartSessionAsync(contact, ct).ConfigureAwait(false);
        var envelope = new PlaintextEnvelope(EnvelopeKind.Text, _time.GetUtcNow().ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes(text));
        CiphertextMessage ciphertext;
        lock (_storeLock) ciphertext = new SessionCipher(_store, address).Encrypt(envelope.Encode());
        return await _client.SendAsync(contact, E2ePayload.Wrap(ciphertext), ct).ConfigureAwait(false);
    }

    /// <summary>Decrypts an incoming message; never throws for what a sender or server can get wrong.</summary>
    public OpenedMessage Open(IncomingMessage message) => Open(message.From, message.MessageId, message.Payload, message.ServerTime);

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

    private async Task StartSessionAsync(string contact, CancellationToken ct)
    {
        var answer = await _client.FetchPrekeysAsync(contact, ct).ConfigureAwait(false);
        if (answer.Status != PrekeyFetchStatus.Found)
            throw new SecureChatException(answer.Status switch
            {
                PrekeyFetchStatus.UnknownUser => $"there is no user {contact}",
                PrekeyFetchStatus.NoPrekeys => $"{contact} has not published encryption keys (an older client): nothing was sent",
                _ => $"{contact}'s keys cannot be fetched now ({answer.Status}); retry in {Math.Max(1, answer.RetryAfterMs / 1000)} s",
            });
        lock (_storeLock)
        {
            string address = Address(contact);
            IReadOnlyList<DevicePrekeyBundle> bundles;
            try { bundles = DeviceLists.CheckBundles(answer, _store.TrustedIdentity(address)); }
            catch (DeviceListException ex) when (ex.Message.Contains("account key changed", StringComparison.Ordinal)) { throw new IdentityChangedException(contact); }
            var primary = bundles.FirstOrDefault(b => b.DeviceId == DeviceList.PrimaryDevice)
                ?? throw new DeviceListException($"{contact}'s primary device has no bundle");
            try { new SessionBuilder(_store, address).Process(PrekeyMaterial.ToSignal(primary)); }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.UntrustedIdentity) { throw new IdentityChangedException(contact); }
        }
    }

    private OpenedMessage Open(string from, ulong messageId, byte[] payload, DateTimeOffset? serverTime)
    {
        if (!E2ePayload.TryUnwrap(payload, out var type, out var body))
            return new OpenedMessage(from, messageId, OpenedStatus.Unencrypted, Encoding.UTF8.GetString(payload), serverTime);
        byte[] plaintext;
        lock (_storeLock)
        {
            var cipher = new SessionCipher(_store, Address(from));
            try { plaintext = type == CiphertextType.PreKey ? cipher.DecryptPreKeyMessage(body) : cipher.DecryptMessage(body); }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.UntrustedIdentity)
            {
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
        if (!PlaintextEnvelope.TryDecode(plaintext, out var envelope) || envelope.Kind != EnvelopeKind.Text)
            return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, serverTime, "not a FastChat envelope this client reads");
        return new OpenedMessage(from, messageId, OpenedStatus.Encrypted, Encoding.UTF8.GetString(envelope.Body),
            DateTimeOffset.FromUnixTimeMilliseconds(envelope.SentMs));
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

    public void Dispose() => _client.PrekeyNotice -= OnPrekeyNotice;
}
