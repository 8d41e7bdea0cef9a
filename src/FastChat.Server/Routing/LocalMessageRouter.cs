using FastChat.Server.Accounts;
using FastChat.Server.Delivery;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Routing;

/// <summary>
/// Entries for users homed here. An entry for an existing account goes into its durable queue
/// (which pushes it to a live connection); the answer is always immediate. Alone it is the
/// router of a fleet of one; in a cluster the mesh router hands it the users this node owns.
/// </summary>
internal sealed class LocalMessageRouter(IUserLocator locator, LocalDirectory directory, UserQueues queues, AccountStore accounts,
    FastChatMetrics metrics) : IMessageRouter
{
    public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token) =>
        locator.Locate(request.Recipient).IsLocal ? RouteHere(request) : RouteResult.Unavailable;

    /// <summary>Queues an entry for a user this node is the home of (the caller has checked).</summary>
    public RouteResult RouteHere(in RouteRequest request)
    {
        if (directory.Find(request.Recipient) is null && !accounts.Exists(request.Recipient)) return RouteResult.UnknownRecipient;
        var status = queues.Enqueue(request.Recipient, request.Kind, request.MessageId, request.From, request.FromName, request.Payload);
        if (status == EnqueueStatus.QueueFull) return RouteResult.QueueFull;
        if (status == EnqueueStatus.NotOwned) return RouteResult.NotOwned;
        metrics.MessageRouted();
        return RouteResult.Queued;
    }
}
