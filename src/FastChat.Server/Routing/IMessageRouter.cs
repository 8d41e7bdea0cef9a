using FastChat.Protocol.Frames;

namespace FastChat.Server.Routing;

/// <summary>What became of one routed entry.</summary>
internal enum RouteResult
{
    /// <summary>In the recipient's durable queue (locally: once the current group commit lands).</summary>
    Queued,
    UnknownRecipient,
    QueueFull,
    /// <summary>Answered later, through <see cref="IRouteCompletion.OnRouted"/> (a route to a peer node).</summary>
    Pending,
    /// <summary>The recipient's home cannot be reached now; the sender may retry with a new id.</summary>
    Unavailable,
    /// <summary>Not this node's to write now (its partition is moving): the mesh holds the entry until the new home serves it.</summary>
    NotOwned,
    /// <summary>The copies do not name exactly the devices of the recipient's current signed list (or a plain SEND to an account with companions).</summary>
    StaleDevices,
    /// <summary>Mesh internal: a peer link is handing entries back to be held; route again at once.</summary>
    Retry,
}

/// <summary>One entry for a recipient: a message, or a receipt about <paramref name="messageId"/>.</summary>
internal readonly ref struct RouteRequest(ReadOnlySpan<byte> recipient, DeliveryKind kind, ulong messageId,
    ReadOnlySpan<byte> from, string fromName, ReadOnlySpan<byte> payload)
{
    public ReadOnlySpan<byte> Recipient { get; } = recipient;
    public DeliveryKind Kind { get; } = kind;
    public ulong MessageId { get; } = messageId;
    public ReadOnlySpan<byte> From { get; } = from;
    public string FromName { get; } = fromName;
    public ReadOnlySpan<byte> Payload { get; } = payload;
}

/// <summary>Told when a <see cref="RouteResult.Pending"/> route finishes.</summary>
internal interface IRouteCompletion
{
    void OnRouted(ulong token, RouteResult result);
}

/// <summary>
/// The one way in for everything addressed to a user: SEND, READ, delivered receipts — and next,
/// group fan-out and presence. Sessions never look up another connection or queue. The local
/// implementation answers at once; the mesh's answers <see cref="RouteResult.Pending"/> for users
/// homed elsewhere and completes when the home node confirms.
/// </summary>
internal interface IMessageRouter
{
    /// <param name="completion">Told the final result when this returns <see cref="RouteResult.Pending"/>; null for fire-and-forget (receipts).</param>
    /// <param name="token">Handed back to <paramref name="completion"/> (the sender's message id).</param>
    RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token);
}
