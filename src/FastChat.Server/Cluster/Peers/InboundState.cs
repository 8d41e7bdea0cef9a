using FastChat.Server.Routing;

namespace FastChat.Server.Cluster.Peers;

/// <summary>
/// What this node remembers of the FORWARDs one peer sent it, so a resend after a reconnect is
/// not queued twice: the peer's incarnation and the highest token handled, plus the last
/// refusals (a resent refused token is refused again, never acknowledged). Read loop only.
/// </summary>
internal sealed class InboundState
{
    private const int RememberedRefusals = 1024;
    private readonly Dictionary<ulong, PeerRefusal> _refusals = new();
    private readonly Queue<ulong> _refusalOrder = new();
    private ulong _incarnation;

    public ulong Highest { get; private set; }

    /// <summary>A HELLO: a new incarnation of the peer starts its tokens again.</summary>
    public void Hello(ulong incarnation)
    {
        if (incarnation == _incarnation) return;
        _incarnation = incarnation;
        Highest = 0;
        _refusals.Clear();
        _refusalOrder.Clear();
    }

    public bool IsRepeat(ulong token) => token <= Highest;

    public bool WasRefused(ulong token, out PeerRefusal reason) => _refusals.TryGetValue(token, out reason);

    public void Handled(ulong token) => Highest = Math.Max(Highest, token);

    public void Refused(ulong token, PeerRefusal reason)
    {
        Handled(token);
        _refusals[token] = reason;
        _refusalOrder.Enqueue(token);
        if (_refusalOrder.Count > RememberedRefusals) _refusals.Remove(_refusalOrder.Dequeue());
    }

    public static PeerRefusal From(RouteResult result) => result switch
    {
        RouteResult.UnknownRecipient => PeerRefusal.UnknownRecipient,
        RouteResult.QueueFull => PeerRefusal.QueueFull,
        RouteResult.StaleDevices => PeerRefusal.StaleDevices,
        _ => PeerRefusal.Unavailable,
    };

    public static RouteResult ToResult(PeerRefusal reason) => reason switch
    {
        PeerRefusal.UnknownRecipient => RouteResult.UnknownRecipient,
        PeerRefusal.QueueFull => RouteResult.QueueFull,
        PeerRefusal.StaleDevices => RouteResult.StaleDevices,
        _ => RouteResult.Unavailable,
    };
}
