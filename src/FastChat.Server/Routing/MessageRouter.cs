using FastChat.Protocol.Frames;
using FastChat.Server.Accounts;
using FastChat.Server.Delivery;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Routing;

internal enum RouteResult { Queued, UnknownRecipient, QueueFull, PeerUnavailable }

/// <summary>
/// The routing seam: sessions hand every message and receipt here and never look up another
/// connection. Local users go to their durable queue (which pushes to a live connection);
/// users homed on a peer will be forwarded by the mesh.
/// </summary>
internal sealed class MessageRouter(IUserLocator locator, LocalDirectory directory, UserQueues queues, AccountStore accounts, FastChatMetrics metrics)
{
    public RouteResult Route(ReadOnlySpan<byte> recipient, DeliveryKind kind, ulong messageId,
        ReadOnlySpan<byte> from, string fromName, ReadOnlySpan<byte> payload)
    {
        if (!locator.Locate(recipient).IsLocal) return RouteResult.PeerUnavailable;
        if (directory.Find(recipient) is null && !accounts.Exists(recipient)) return RouteResult.UnknownRecipient;
        var status = queues.Enqueue(recipient, kind, messageId, from, fromName, payload);
        if (status == EnqueueStatus.QueueFull) return RouteResult.QueueFull;
        metrics.MessageRouted();
        return RouteResult.Queued;
    }
}
