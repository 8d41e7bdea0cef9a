using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Routing;
using FastChat.Server.Sessions;

namespace FastChat.Server.Connections;

/// <summary>
/// Message ids strictly increase per sender. The <see cref="SenderLedger"/> deduplicates retries
/// and remembers refusals; the <see cref="AckTracker"/> (created at the first accepted id, so an
/// idle session has none) sends the cumulative SERVER_ACK once what it covers is durable.
/// </summary>
internal sealed partial class ClientConnection : IAckSink, IRouteCompletion
{
    private SenderLedger _ledger;   // read-loop thread only
    private AckTracker? _acks;

    /// <summary>What the ledger's refusal list changes under: the connection's monitor (no object of its own).</summary>
    private object LedgerGate => this;

    private AckTracker Acks => _acks ??= new AckTracker(_server.Commit, this, _ledger.HighWater);

    /// <summary>The router's answer for a SEND or READ with <paramref name="messageId"/> (above the high-water mark).</summary>
    private bool Routed(RouteResult result, ulong messageId)
    {
        switch (result)
        {
            case RouteResult.Queued or RouteResult.Pending:
                var acks = Acks; // first: it starts from the mark as it was before this id
                _ledger.Accept(_server.Store, _addressBytes, messageId, LedgerGate, routedElsewhere: result == RouteResult.Pending);
                if (result == RouteResult.Queued) acks.Accepted(messageId); // after every write it covers
                else acks.Routing(messageId);
                return true;
            default:
                return Refuse(ErrorOf(result), messageId);
        }
    }

    /// <summary>A pending route finished (a peer confirmed or refused); may come from any thread.</summary>
    public void OnRouted(ulong token, RouteResult result)
    {
        // A late refusal is remembered like any other (a retry gets its ERROR again), and its ERROR
        // is written before the tracker may send an ack that passes over it.
        if (result != RouteResult.Queued) Refuse(ErrorOf(result), token);
        Acks.Routed(token, accepted: result == RouteResult.Queued);
    }

    /// <summary>An id at or below the high-water mark: refused before, or accepted and acknowledged again.</summary>
    private bool Retried(ulong messageId)
    {
        if (_ledger.TryGetRefusal(_server.Store, _addressBytes, messageId, LedgerGate, out var code)) return WriteError(code, messageId, "this message was refused before");
        Acks.Reacknowledge();
        return true;
    }

    /// <summary>Refuses one message for good: ERROR now, and remembered for a retry of the same id.</summary>
    private bool Refuse(ErrorCode code, ulong messageId, string? message = null)
    {
        _ledger.Refuse(_server.Store, _addressBytes, messageId, code, LedgerGate);
        return WriteError(code, messageId, message ?? MessageOf(code));
    }

    public void SendServerAck(ulong upTo)
    {
        _ledger.Acknowledged(_server.Store, _addressBytes, upTo, LedgerGate);
        Span<byte> frame = stackalloc byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(frame, FrameType.ServerAck, upTo);
        TryWrite(frame);
    }

    /// <summary>Receipts held for an ack that this commit did not bring go now.</summary>
    public void CommitPassed()
    {
        lock (OutLock)
            if (_out.Count > 0 && !_out.Closed) ScheduleFlushLocked();
    }

    private static ErrorCode ErrorOf(RouteResult result) => result switch
    {
        RouteResult.UnknownRecipient => ErrorCode.UnknownRecipient,
        RouteResult.QueueFull => ErrorCode.QueueFull,
        RouteResult.StaleDevices => ErrorCode.StaleDevices,
        _ => ErrorCode.InternalError,
    };

    private static string MessageOf(RouteResult result) => MessageOf(ErrorOf(result));

    private static string MessageOf(ErrorCode code) => code switch
    {
        ErrorCode.UnknownRecipient => "no such user",
        ErrorCode.QueueFull => "the recipient's queue is full",
        ErrorCode.PayloadTooLarge => "payload larger than the server's maximum",
        ErrorCode.InvalidUserName => "not a valid user name",
        ErrorCode.StaleDevices => "the recipient's devices changed: fetch their bundles (PREKEY_FETCH) and send to every listed device",
        _ => "the recipient's server is unavailable",
    };
}
