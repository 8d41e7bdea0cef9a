using FastChat.Server.Accounts;
using FastChat.Server.Delivery;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Routing;

/// <summary>
/// A fleet of one: every user is homed here. An entry for an existing account goes into its
/// durable queue (which pushes it to a live connection); the answer is always immediate.
/// </summary>
internal sealed class LocalMessageRouter(IUserLocator locator, LocalDirectory directory, UserQueues queues, AccountStore accounts,
    FastChatMetrics metrics) : IMessageRouter
{
    public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token)
    {
        if (!locator.Locate(request.Recipient).IsLocal) return RouteResult.Unavailable; // no mesh configured
        if (directory.Find(request.Recipient) is null && !accounts.Exists(request.Recipient)) return RouteResult.UnknownRecipient;
        var status = queues.Enqueue(request.Recipient, request.Kind, request.MessageId, request.From, request.FromName, request.Payload);
        if (status == EnqueueStatus.QueueFull) return RouteResult.QueueFull;
        metrics.MessageRouted();
        return RouteResult.Queued;
    }
}
