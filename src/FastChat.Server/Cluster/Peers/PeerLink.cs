using FastChat.Server.Routing;

namespace FastChat.Server.Cluster.Peers;

/// <summary>
/// Everything this node keeps about one peer, across that peer's connections (sessions):
/// the outbox of frames to send, the FORWARDs not yet answered (resent, in order, on the next
/// session: a home node drops repeats of its current incarnation's tokens, and the recipient's
/// SDK drops any other repeat by message id), and the bookkeeping of FORWARDs received from it.
/// Bounded: past <see cref="_capacity"/> frames new forwards are refused, never buffered.
/// Answers about one session's frames (acks, refusals, resyncs, pongs) are scoped to that session:
/// a later session, perhaps with a restarted peer whose tokens start again at 1, never reads them.
/// All state under <see cref="Gate"/>.
/// </summary>
internal sealed class PeerLink(string remoteId, int capacity)
{
    internal readonly record struct Outstanding(byte[] Frame, IRouteCompletion? Completion, ulong ClientToken);

    /// <summary>A frame to write; <see cref="Only"/> set: written on that session or not at all.</summary>
    private readonly record struct Queued(byte[] Frame, PeerSession? Only);

    private readonly int _capacity = capacity;
    private readonly Queue<Queued> _outbox = new();
    private readonly SortedDictionary<ulong, Outstanding> _unanswered = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private ulong _nextToken;
    private bool _handingBack;
    private PeerSession? _session;

    private object Gate => _outbox;

    public string RemoteId { get; } = remoteId;
    public PeerLinkMetrics Metrics { get; } = new();
    public InboundState Inbound { get; } = new();

    /// <summary>The live session, if connected.</summary>
    public PeerSession? Session { get { lock (Gate) return _session; } }

    public int Depth { get { lock (Gate) return _outbox.Count + _unanswered.Count; } }

    /// <summary>Frames waiting to be written (hand-off copies wait while this is high).</summary>
    public int OutboxCount { get { lock (Gate) return _outbox.Count; } }

    /// <summary>
    /// Queues a FORWARD of <paramref name="request"/> with a fresh token: Pending; Unavailable when the
    /// link is full; Retry while entries are being handed back (<see cref="TakeBackFrom"/>), or when a
    /// hand-back started or ended since the caller read <paramref name="handBackVersion"/> from
    /// <paramref name="parked"/> (it must look at the parking again first).
    /// </summary>
    public RouteResult TryForward(in RouteRequest request, long epoch, IRouteCompletion? completion, ulong clientToken, ParkedRoutes parked, long handBackVersion)
    {
        lock (Gate)
        {
            if (_handingBack || parked.HandBackVersion != handBackVersion) return RouteResult.Retry;
            if (_outbox.Count + _unanswered.Count >= _capacity) return RouteResult.Unavailable;
            ulong token = ++_nextToken;
            var frame = new byte[PeerFrames.ForwardLength(request.Recipient.Length, request.From.Length, request.Payload.Length)];
            PeerFrames.WriteForward(frame, epoch, token, request.Kind, request.MessageId, request.Recipient, request.From, request.Payload);
            _unanswered.Add(token, new Outstanding(frame, completion, clientToken));
            _outbox.Enqueue(new Queued(frame, null));
        }
        _signal.Release();
        return RouteResult.Pending;
    }

    /// <summary>
    /// The peer refused <paramref name="token"/> under another epoch, and refuses every later one
    /// until it reads <paramref name="resync"/>: takes back that token and every later unanswered
    /// one (in order, also from the outbox) and queues the resync. Until <see cref="EndHandBack"/>,
    /// new forwards get Retry, so none can overtake the taken-back entries on their way to the parking.
    /// Empty when the token was taken back already, or the refusal came on a session that is gone
    /// (the next one resends the unanswered forwards, and the peer judges them afresh).
    /// </summary>
    public List<Outstanding> TakeBackFrom(PeerSession session, ulong token, byte[] resync)
    {
        var taken = new List<Outstanding>();
        lock (Gate)
        {
            if (_session != session || !_unanswered.ContainsKey(token)) return taken;
            var later = _unanswered.Keys.Where(key => key >= token).ToArray();
            foreach (var key in later)
            {
                taken.Add(_unanswered[key]);
                _unanswered.Remove(key);
            }
            var keep = _outbox.Where(q => !(q.Frame[0] == (byte)PeerFrameType.Forward && PeerFrames.TokenOf(q.Frame) >= token)).ToArray();
            _outbox.Clear();
            foreach (var queued in keep) _outbox.Enqueue(queued);
            _outbox.Enqueue(new Queued(resync, session));
            _handingBack = true;
        }
        _signal.Release();
        return taken;
    }

    public void EndHandBack()
    {
        lock (Gate) _handingBack = false;
    }

    /// <summary>Queues a frame for the current session, or the next one if none is up (hand-off, replication and prekey frames carry their own ids).</summary>
    public void Send(byte[] frame)
    {
        lock (Gate) _outbox.Enqueue(new Queued(frame, null));
        _signal.Release();
    }

    /// <summary>
    /// Queues an answer to what <paramref name="session"/> carried (an ack, a refusal, a pong): dropped
    /// if that session is gone. On a new session the peer resends what is unanswered and hears again
    /// about it; an old answer would name tokens that mean other forwards to a restarted peer.
    /// </summary>
    public void SendOn(PeerSession session, byte[] frame)
    {
        lock (Gate)
        {
            if (_session != session) return;
            _outbox.Enqueue(new Queued(frame, session));
        }
        _signal.Release();
    }

    /// <summary>The peer acknowledged every token up to <paramref name="upTo"/> not refused before.</summary>
    public void OnAck(ulong upTo)
    {
        List<Outstanding>? done = null;
        lock (Gate)
        {
            while (_unanswered.Count > 0)
            {
                var first = _unanswered.First();
                if (first.Key > upTo) break;
                _unanswered.Remove(first.Key);
                (done ??= []).Add(first.Value);
            }
        }
        if (done is null) return;
        Metrics.AddAcked(done.Count);
        foreach (var entry in done) entry.Completion?.OnRouted(entry.ClientToken, RouteResult.Queued);
    }

    public void OnRefused(ulong token, RouteResult result)
    {
        Outstanding entry;
        lock (Gate)
            if (!_unanswered.Remove(token, out entry)) return;
        entry.Completion?.OnRouted(entry.ClientToken, result);
    }

    /// <summary>A new session: it starts with the unanswered FORWARDs, in token order, then whatever else is queued.</summary>
    public void Attach(PeerSession session, byte[] hello)
    {
        lock (Gate)
        {
            _session = session;
            // Forwards come from the unanswered set; answers scoped to an earlier session are dropped.
            var rest = _outbox.Where(q => q.Frame[0] != (byte)PeerFrameType.Forward && q.Only is null).ToArray();
            _outbox.Clear();
            _outbox.Enqueue(new Queued(hello, session));
            foreach (var entry in _unanswered.Values) _outbox.Enqueue(new Queued(entry.Frame, null));
            foreach (var queued in rest) _outbox.Enqueue(queued);
        }
        Metrics.Connected();
        _signal.Release();
    }

    public void Detach(PeerSession session)
    {
        lock (Gate)
        {
            if (_session != session) return;
            _session = null;
        }
        Metrics.Disconnected();
    }

    /// <summary>
    /// Gives up on the peer for good (it left the cluster): unanswered routes are told
    /// unavailable, which the sender sees as a refusal it may retry with a new id.
    /// </summary>
    public void Abandon()
    {
        List<Outstanding> dropped;
        lock (Gate)
        {
            dropped = [.. _unanswered.Values];
            _unanswered.Clear();
            _outbox.Clear();
        }
        foreach (var entry in dropped) entry.Completion?.OnRouted(entry.ClientToken, RouteResult.Unavailable);
    }

    /// <summary>Waits for frames to send, then moves them all into <paramref name="batch"/> (the session's writer).</summary>
    public async ValueTask TakeAsync(PeerSession session, List<byte[]> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (Gate)
            {
                if (_session != session) throw new OperationCanceledException("session replaced");
                while (_outbox.TryDequeue(out var queued))
                    if (queued.Only is null || queued.Only == session) batch.Add(queued.Frame);
            }
            if (batch.Count > 0) return;
            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
