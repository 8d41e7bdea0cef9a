using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Delivery;
using FastChat.Server.DeviceLists;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Routing;

/// <summary>
/// Entries for users homed here. An entry for an existing account goes into its durable queue
/// (which pushes it to a live connection); the answer is always immediate. Alone it is the
/// router of a fleet of one; in a cluster the mesh router hands it the users this node owns.
/// A message must reach every device of the recipient's signed list (protocol-spec/13-devices.md):
/// SEND_DEVICES copies are checked against the list and queued per device under the list's lock;
/// a plain SEND is a message for the primary alone, refused once the account has companions.
/// </summary>
internal sealed class LocalMessageRouter(IUserLocator locator, LocalDirectory directory, UserQueues queues, AccountStore accounts,
    DeviceListStore deviceLists, Groups.GroupStore groups, Presence.PresenceHub presence, FastChatMetrics metrics) : IMessageRouter
{
    public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token) =>
        locator.Locate(request.Recipient).IsLocal ? RouteHere(request) : RouteResult.Unavailable;

    /// <summary>Queues an entry for a user this node is the home of (the caller has checked).</summary>
    public RouteResult RouteHere(in RouteRequest request)
    {
        if (GroupAddress.IsGroup(request.Recipient))
            return request.Kind switch
            {
                DeliveryKind.GroupMessage => RouteToGroup(request),
                DeliveryKind.Typing => TypingToGroup(request),
                _ => RouteResult.UnknownRecipient,
            };
        if (!DeviceAddress.TryParse(request.Recipient, out var account, out byte device)) return RouteResult.UnknownRecipient;
        if (request.Kind is DeliveryKind.PresenceSubscribe or DeliveryKind.PresenceUnsubscribe or DeliveryKind.PresenceUpdate or DeliveryKind.Typing)
            return Ephemeral(request, account);
        if (request.Kind == DeliveryKind.DeviceCopies) return RouteCopies(request, account);
        if (request.Kind == DeliveryKind.Message) return RouteToPrimary(request, account);
        if (request.Kind is DeliveryKind.GroupChange or DeliveryKind.GroupMessage) return RouteToEveryDevice(request, account);
        // Receipts go to the device they are about; a removed companion's address is no one's.
        if (directory.Find(request.Recipient) is null && !(accounts.Exists(account) && (device == DeviceAddress.Primary || IsListed(account, device))))
            return RouteResult.UnknownRecipient;
        return Enqueued(queues.Enqueue(request.Recipient, request.Kind, request.MessageId, request.From, request.FromName, request.Payload));
    }

    private RouteResult RouteToPrimary(in RouteRequest request, ReadOnlySpan<byte> account)
    {
        if (account.Length != request.Recipient.Length) return RouteResult.UnknownRecipient; // messages name accounts, never devices
        if (directory.Find(request.Recipient) is null && !accounts.Exists(account)) return RouteResult.UnknownRecipient;
        if (deviceLists.KnownPrimaryOnly(account))
            return Enqueued(queues.Enqueue(request.Recipient, request.Kind, request.MessageId, request.From, request.FromName, request.Payload));
        Span<byte> expected = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        lock (deviceLists.LockFor(account))
        {
            // Fine while the list has no device but the primary (and the sender itself, writing to its own account).
            int count = ExpectedDevices(account, request.From, expected, out _);
            if (count > 1 || (count == 1 && expected[0] != DeviceAddress.Primary)) return RouteResult.StaleDevices;
            return Enqueued(queues.Enqueue(request.Recipient, request.Kind, request.MessageId, request.From, request.FromName, request.Payload));
        }
    }

    private RouteResult RouteCopies(in RouteRequest request, ReadOnlySpan<byte> account)
    {
        Span<byte> devices = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        Span<byte> expected = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        if (account.Length != request.Recipient.Length
            || !DeviceCopyFrames.TryReadCopies(request.Payload, out ulong generation, devices, out int count)) return RouteResult.UnknownRecipient;
        if (!accounts.Exists(account)) return RouteResult.UnknownRecipient;
        Span<byte> address = stackalloc byte[DeviceAddress.MaxLength];
        lock (deviceLists.LockFor(account))
        {
            int expectedCount = ExpectedDevices(account, request.From, expected, out ulong current);
            if (generation != current || !devices[..count].SequenceEqual(expected[..expectedCount])) return RouteResult.StaleDevices;
            for (int i = 0; i < count; i++)
            {
                // A full queue after others took their copy refuses the message; those copies stay (see the spec).
                var status = queues.Enqueue(address[..DeviceAddress.Write(address, account, devices[i])], DeliveryKind.Message, request.MessageId,
                    request.From, request.FromName, DeviceCopyFrames.CopyAt(request.Payload, i));
                if (status != EnqueueStatus.Queued) return Enqueued(status);
            }
        }
        metrics.MessageRouted();
        return RouteResult.Queued;
    }

    /// <summary>A group's announcement for an account: a copy into each of its listed devices' queues (best effort, like receipts).</summary>
    private RouteResult RouteToEveryDevice(in RouteRequest request, ReadOnlySpan<byte> account)
    {
        if (account.Length != request.Recipient.Length || !accounts.Exists(account)) return RouteResult.UnknownRecipient;
        Span<byte> devices = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        Span<byte> address = stackalloc byte[DeviceAddress.MaxLength];
        lock (deviceLists.LockFor(account))
        {
            int count = deviceLists.CurrentDevices(account, devices, out _);
            for (int i = 0; i < count; i++)
            {
                var to = address[..DeviceAddress.Write(address, account, devices[i])];
                if (request.Kind == DeliveryKind.GroupMessage && to.SequenceEqual(request.From)) continue; // the sending device has it
                queues.Enqueue(to, request.Kind, request.MessageId, request.From, request.FromName, request.Payload);
            }
        }
        return RouteResult.Queued;
    }

    /// <summary>
    /// Where forwards to other nodes go: set by the mesh router of a cluster node; null on a single
    /// node, where every member is homed here.
    /// </summary>
    public IMessageRouter? Outbound { get; set; }

    /// <summary>
    /// A group message at its group's home (protocol-spec/14-groups.md): from a member, to every
    /// device of every member but the sending one — queued here for members homed here, forwarded
    /// to the homes of the others (one entry per member account, split per device there).
    /// Non-members and unknown groups are refused alike, so a non-member learns nothing of a group.
    /// </summary>
    private RouteResult RouteToGroup(in RouteRequest request)
    {
        Span<byte> groupId = stackalloc byte[GroupAddress.IdLength];
        if (!GroupAddress.TryParse(request.Recipient, groupId) || request.Payload.Length <= GroupAddress.IdLength
            || !request.Payload[..GroupAddress.IdLength].SequenceEqual(groupId)) return RouteResult.UnknownRecipient;
        if (groups.Read(groupId) is not { } group || !DeviceAddress.TryParse(request.From, out var sender, out _)) return RouteResult.UnknownRecipient;
        string senderName = System.Text.Encoding.ASCII.GetString(sender);
        if (group.Members.All(m => m.User != senderName)) return RouteResult.UnknownRecipient;
        Span<byte> member = stackalloc byte[UserName.MaxLength];
        foreach (var m in group.Members)
        {
            var name = member[..System.Text.Encoding.ASCII.GetBytes(m.User, member)];
            var copy = new RouteRequest(name, DeliveryKind.GroupMessage, request.MessageId, request.From, request.FromName, request.Payload);
            if (Outbound is { } mesh && !locator.Locate(name).IsLocal) mesh.Route(copy, null, 0);
            else RouteToEveryDevice(copy, name);
        }
        metrics.MessageRouted();
        return RouteResult.Queued;
    }

    /// <summary>
    /// Entries that are never stored (protocol-spec/15-presence.md): watches for the presence hub of
    /// the watched account, PRESENCE bodies and typing notices for whichever devices are connected
    /// now. Always answered queued: there is nothing to retry.
    /// </summary>
    private RouteResult Ephemeral(in RouteRequest request, ReadOnlySpan<byte> account)
    {
        switch (request.Kind)
        {
            case DeliveryKind.PresenceSubscribe when account.Length == request.Recipient.Length:
                presence.Watch(System.Text.Encoding.ASCII.GetString(account), accounts.Exists(account), request.FromName,
                    renewal: request.Payload.Length > 0 && request.Payload[0] == 1);
                break;
            case DeliveryKind.PresenceUnsubscribe when account.Length == request.Recipient.Length:
                presence.Unwatch(System.Text.Encoding.ASCII.GetString(account), request.FromName);
                break;
            case DeliveryKind.PresenceUpdate when request.Payload.Length <= PresenceBodyMax && directory.Find(request.Recipient) is { } watcher:
                Span<byte> frame = stackalloc byte[ProtocolLimits.FrameHeaderLength + request.Payload.Length];
                FrameHeader.Write(frame, FrameType.Presence, request.Payload.Length);
                request.Payload.CopyTo(frame[ProtocolLimits.FrameHeaderLength..]);
                watcher.Notify(frame);
                break;
            case DeliveryKind.Typing when account.Length == request.Recipient.Length:
                TypingToDevices(request, account);
                break;
        }
        return RouteResult.Queued;
    }

    private const int PresenceBodyMax = 64; // [user ≤ 32, state, i64]

    /// <summary>A typing indicator for every connected device of the account but the typing one.</summary>
    private void TypingToDevices(in RouteRequest request, ReadOnlySpan<byte> account)
    {
        if (!TypingFrames.TryReadEntry(request.Payload, out var context, out bool typing)) return;
        Span<byte> notice = stackalloc byte[TypingFrames.MaxNoticeLength];
        notice = notice[..TypingFrames.WriteNotice(notice, request.From, context, typing)];
        Span<byte> devices = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        Span<byte> address = stackalloc byte[DeviceAddress.MaxLength];
        int count = deviceLists.CurrentDevices(account, devices, out _);
        for (int i = 0; i < count; i++)
        {
            var to = address[..DeviceAddress.Write(address, account, devices[i])];
            if (!to.SequenceEqual(request.From) && directory.Find(to) is { } target) target.Notify(notice);
        }
    }

    /// <summary>Typing in a group, at its home: from a member, to the connected devices of the other members.</summary>
    private RouteResult TypingToGroup(in RouteRequest request)
    {
        Span<byte> groupId = stackalloc byte[GroupAddress.IdLength];
        if (!GroupAddress.TryParse(request.Recipient, groupId) || groups.Read(groupId) is not { } group
            || !DeviceAddress.TryParse(request.From, out var sender, out _)) return RouteResult.Queued;
        string senderName = System.Text.Encoding.ASCII.GetString(sender);
        if (group.Members.All(m => m.User != senderName)) return RouteResult.Queued;
        Span<byte> member = stackalloc byte[UserName.MaxLength];
        foreach (var m in group.Members)
        {
            if (m.User == senderName) continue;
            var name = member[..System.Text.Encoding.ASCII.GetBytes(m.User, member)];
            var copy = new RouteRequest(name, DeliveryKind.Typing, 0, request.From, request.FromName, request.Payload);
            if (Outbound is { } mesh && !locator.Locate(name).IsLocal) mesh.Route(copy, null, 0);
            else TypingToDevices(copy, name);
        }
        return RouteResult.Queued;
    }

    /// <summary>The devices a message to <paramref name="account"/> must reach: its list, less the sending device when it writes to its own account.</summary>
    private int ExpectedDevices(ReadOnlySpan<byte> account, ReadOnlySpan<byte> from, Span<byte> expected, out ulong generation)
    {
        int count = deviceLists.CurrentDevices(account, expected, out generation);
        if (!DeviceAddress.TryParse(from, out var fromAccount, out byte fromDevice) || !fromAccount.SequenceEqual(account)) return count;
        int kept = 0;
        for (int i = 0; i < count; i++)
            if (expected[i] != fromDevice) expected[kept++] = expected[i];
        return kept;
    }

    private bool IsListed(ReadOnlySpan<byte> account, byte device)
    {
        Span<byte> devices = stackalloc byte[ProtocolLimits.MaxDevicesPerUser];
        return devices[..deviceLists.CurrentDevices(account, devices, out _)].Contains(device);
    }

    private RouteResult Enqueued(EnqueueStatus status)
    {
        if (status == EnqueueStatus.QueueFull) return RouteResult.QueueFull;
        if (status == EnqueueStatus.NotOwned) return RouteResult.NotOwned;
        metrics.MessageRouted();
        return RouteResult.Queued;
    }
}
