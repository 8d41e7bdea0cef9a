using System.Text;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Signal;
using FastChat.Signal.Groups;

namespace FastChat.Client.Encryption;

/// <summary>
/// Group chat with sender keys (protocol-spec/14-groups.md, 11-end-to-end.md): this device makes
/// a chain per group (its distribution id is the group id), sends the distribution message to
/// every member's devices (and its own other devices) over the pairwise sessions before its first
/// message on that chain, then encrypts each message once and sends it with GROUP_SEND. When a
/// member leaves or is removed, the chain is dropped: the next message starts a new one, sent only
/// to those who remain. Membership comes from the group's announcements (kept in the store).
/// </summary>
public sealed partial class SecureChat
{
    /// <summary>Group messages that could be opened once their sender's key arrived.</summary>
    public event Action<IReadOnlyList<OpenedMessage>>? Released;

    public static Guid DistributionOf(ReadOnlySpan<byte> groupId) => new(groupId, bigEndian: true);

    private string MyAddress => Address(Me, _client.DeviceId);

    private void OnGroupChanged(string from, GroupEvent change)
    {
        lock (_storeLock)
        {
            string name = "group/" + Convert.ToHexString(change.GroupId);
            if (_store.GetBlob(name) is { } known && GroupEvent.TryParse(known, out var before) && before.Version >= change.Version) return;
            _store.SetBlob(name, change.Encode());
            // Someone left: what this device sends next must be unreadable for them.
            if (change.Op is GroupOp.Remove or GroupOp.Leave) _store.StoreSenderKey(MyAddress, DistributionOf(change.GroupId), new SenderKeyRecord());
        }
    }

    /// <summary>The group's membership as this device last heard it; null if it has heard nothing.</summary>
    public GroupEvent? KnownGroup(byte[] groupId)
    {
        lock (_storeLock)
            return _store.GetBlob("group/" + Convert.ToHexString(groupId)) is { } bytes && GroupEvent.TryParse(bytes, out var group) ? group : null;
    }

    /// <summary>Creates a group with a fresh id; returns the id once the group's home has it.</summary>
    public async Task<byte[]> CreateGroupAsync(string name, IReadOnlyList<string> members, CancellationToken ct = default)
    {
        var id = FastChatClient.NewGroupId();
        var result = await _client.ChangeGroupAsync(GroupOp.Create, id, members, name, ct).ConfigureAwait(false);
        if (result.Status != GroupStatusCode.Done) throw new SecureChatException($"the group was not created: {result.Message}");
        return id;
    }

    /// <summary>Encrypts <paramref name="text"/> once for the group and sends it; returns its id once the group's home has it (✓).</summary>
    public async Task<ulong> SendGroupTextAsync(byte[] groupId, string text, CancellationToken ct = default)
    {
        var group = KnownGroup(groupId) ?? await QueryGroupAsync(groupId, ct).ConfigureAwait(false);
        var distribution = DistributionOf(groupId);
        byte[] skdm;
        uint chain;
        lock (_storeLock)
        {
            skdm = GroupCipher.CreateDistributionMessage(_store, MyAddress, distribution);
            chain = _store.LoadSenderKey(MyAddress, distribution)!.CurrentChainId!.Value;
        }
        // Everyone (and this account's other devices) gets this chain once, before its first message.
        foreach (var account in group.Members.Select(m => m.User))
        {
            string mark = $"skd/{Convert.ToHexString(groupId)}/{account}";
            bool has;
            lock (_storeLock) has = _store.GetNumber(mark, -1) == chain;
            if (has) continue;
            await SendEnvelopeAsync(account, new PlaintextEnvelope(EnvelopeKind.SenderKey, NowMs, skdm), ct).ConfigureAwait(false);
            lock (_storeLock) _store.SetNumber(mark, chain);
        }
        byte[] ciphertext;
        var envelope = new PlaintextEnvelope(EnvelopeKind.Text, NowMs, Encoding.UTF8.GetBytes(text)).Encode();
        lock (_storeLock) ciphertext = GroupCipher.Encrypt(_store, MyAddress, distribution, envelope);
        ulong id = await _client.SendToGroupAsync(groupId, E2ePayload.WrapGroup(ciphertext), ct).ConfigureAwait(false);
        lock (_storeLock) _store.AddHistory(new HistoryEntry(GroupAddress.Of(groupId), true, null, id, _time.GetUtcNow(), text, true));
        return id;
    }

    /// <summary>Decrypts a group message; one from a sender whose key has not arrived is held (<see cref="OpenedStatus.AwaitingKey"/>).</summary>
    public OpenedMessage OpenGroup(IncomingGroupMessage message)
    {
        var opened = DecryptGroup(message.From, message.GroupId, message.MessageId, message.Payload, message.ServerTime);
        if (opened.Status == OpenedStatus.Encrypted)
            lock (_storeLock)
                _store.AddHistory(new HistoryEntry(GroupAddress.Of(message.GroupId), false, opened.From, opened.MessageId, opened.SentAt ?? _time.GetUtcNow(), opened.Text!, true));
        return opened;
    }

    private OpenedMessage DecryptGroup(string from, byte[] groupId, ulong messageId, byte[] payload, DateTimeOffset? serverTime)
    {
        OpenedMessage Failed(OpenedStatus status, string problem) => new(from, messageId, status, null, serverTime, problem, Group: groupId);
        if (!E2ePayload.TryUnwrapGroup(payload, out var body)) return Failed(OpenedStatus.Undecryptable, "not a sender-key message");
        if (!DeviceAddress.TryParse(from, out var user, out byte device)) return Failed(OpenedStatus.Undecryptable, "not a device address");
        byte[] plaintext;
        lock (_storeLock)
        {
            try { plaintext = GroupCipher.Decrypt(_store, Address(user, device), body.ToArray()); }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.NoSession)
            {
                _store.Hold("g:" + from, messageId, [.. groupId, .. payload]);
                return Failed(OpenedStatus.AwaitingKey, $"{from}'s key for this group has not arrived yet: held");
            }
            catch (SignalProtocolException ex) when (ex.Kind == SignalError.DuplicateMessage) { return Failed(OpenedStatus.Duplicate, ex.Message); }
            catch (SignalProtocolException ex) { return Failed(OpenedStatus.Undecryptable, ex.Message); }
        }
        if (!PlaintextEnvelope.TryDecode(plaintext, out var envelope) || envelope.Kind != EnvelopeKind.Text)
            return Failed(OpenedStatus.Undecryptable, "not a FastChat text envelope");
        return new OpenedMessage(from, messageId, OpenedStatus.Encrypted, Encoding.UTF8.GetString(envelope.Body), DateTimeOffset.FromUnixTimeMilliseconds(envelope.SentMs), Group: groupId);
    }

    /// <summary>A member device's sender key, from its pairwise message; held group messages from it are opened now.</summary>
    private OpenedMessage TakeSenderKey(string from, ulong messageId, byte[] distribution, DateTimeOffset sentAt)
    {
        if (!DeviceAddress.TryParse(from, out var user, out byte device))
            return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, sentAt, "not a device address");
        Guid id;
        IReadOnlyList<(ulong MessageId, byte[] Payload)> held;
        lock (_storeLock)
        {
            try { id = GroupCipher.ProcessDistributionMessage(_store, Address(user, device), distribution); }
            catch (SignalProtocolException ex) { return new OpenedMessage(from, messageId, OpenedStatus.Undecryptable, null, sentAt, ex.Message); }
            held = _store.TakeHeld("g:" + from);
        }
        var groupId = id.ToByteArray(bigEndian: true);
        if (held.Count > 0)
        {
            var released = held.Select(h => OpenGroup(new IncomingGroupMessage(from, h.Payload[..GroupAddress.IdLength], h.MessageId, sentAt, h.Payload[GroupAddress.IdLength..])))
                .Where(m => m.Status != OpenedStatus.AwaitingKey).ToArray();
            if (released.Length > 0) Released?.Invoke(released);
        }
        return new OpenedMessage(from, messageId, OpenedStatus.GroupKey, null, sentAt, Group: groupId);
    }

    private async Task<GroupEvent> QueryGroupAsync(byte[] groupId, CancellationToken ct)
    {
        var state = await _client.QueryGroupAsync(groupId, ct).ConfigureAwait(false);
        if (state.Status != GroupStatusCode.Done) throw new SecureChatException($"the group cannot be read: {state.Status}");
        var group = new GroupEvent(groupId, state.Version, GroupOp.Create, [], state.Name, state.Members);
        lock (_storeLock) _store.SetBlob("group/" + Convert.ToHexString(groupId), group.Encode());
        return group;
    }
}
