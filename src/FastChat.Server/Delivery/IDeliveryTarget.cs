using FastChat.Protocol.Frames;

namespace FastChat.Server.Delivery;

/// <summary>A connected, authenticated device as the delivery layer sees it.</summary>
internal interface IDeliveryTarget
{
    /// <summary>The device's address (<see cref="Protocol.Wire.DeviceAddress"/>): its queue's name.</summary>
    string Address { get; }

    /// <summary>The queue cursor, set by <see cref="UserQueues.Attach"/>; guarded by the user's stripe lock.</summary>
    QueueState? Queue { get; set; }

    /// <summary>
    /// Appends a DELIVER frame of <paramref name="kind"/> to the outbound buffer; false when the
    /// connection is closing or overflowed. The target may send a receipt a little later, with
    /// a record it is about to send anyway.
    /// </summary>
    bool TryDeliver(ReadOnlySpan<byte> frame, DeliveryKind kind);

    /// <summary>Sends a frame that concerns the user and is not queued (a prekey notice, PRESENCE, TYPING_NOTICE); dropped when the connection is closing.</summary>
    void Notify(ReadOnlySpan<byte> frame);

    /// <summary>Attached as the user's live connection, before the backlog is pushed.</summary>
    void OnAttached(long queued);

    /// <summary>A newer login of the same user took over; close with a reason.</summary>
    void Replace();

    /// <summary>The account's primary removed this device from its list; close with a reason.</summary>
    void Removed();

    /// <summary>
    /// The user's partition is moving to another node: close, redirecting the client to
    /// <paramref name="nextHome"/> when its endpoint is known (it serves the user once the move completes).
    /// </summary>
    void Relocate(Routing.UserLocation nextHome);
}
