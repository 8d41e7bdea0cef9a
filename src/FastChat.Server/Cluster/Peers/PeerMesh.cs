using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Routing;
using FastChat.Server.Sessions;
using FastChat.Server.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Peers;

/// <summary>
/// The peer links of this node: one connection per pair of live members, dialled by the member
/// with the ordinally smaller id and accepted by the other, both authenticated by Noise XX with
/// the static keys in the member records (etcd is the root of trust: a node presenting any other
/// key is refused). Forwards entries to their home nodes and handles the entries, acks and
/// refusals that arrive.
/// </summary>
internal sealed class PeerMesh : BackgroundService, IPeerFrameHandler, IHostedLifecycleService
{
    private const string PeerSoftware = "fastchat-peer/1";
    private readonly ClusterOptions _options;
    private readonly ClusterState _state;
    private readonly ServerIdentity _identity;
    private readonly LocalMessageRouter _local;
    private readonly GroupCommit _commit;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PeerLink> _links = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _dialers = new(StringComparer.Ordinal);
    private readonly byte[] _serverHello;
    private readonly ParkedRoutes _parked;
    private readonly IPeerFrameConsumer[] _consumers;
    private readonly CancellationTokenSource _shutdown = new();
    private CancellationToken _stopping;

    public PeerMesh(ClusterOptions options, ClusterState state, ServerIdentity identity, LocalMessageRouter local, GroupCommit commit,
        ParkedRoutes parked, IEnumerable<IPeerFrameConsumer> consumers, Telemetry.FastChatMetrics metrics, ILogger<PeerMesh> logger)
    {
        _parked = parked;
        _consumers = consumers.ToArray();
        _options = options;
        _state = state;
        _identity = identity;
        _local = local;
        _commit = commit;
        _logger = logger;
        PeerLinkInstruments.Register(metrics.Meter, this, state, parked);
        _serverHello = new ServerHello(Preamble.CurrentVersion, options.NodeId, ProtocolLimits.MaxRecordPlaintext, ProtocolLimits.MaxPayload, 30).Encode();
    }

    /// <summary>Fresh per process: a home node forgets a peer's tokens when this changes.</summary>
    public ulong Incarnation { get; } = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) | 1;

    public IReadOnlyDictionary<string, PeerLink> Links => _links;

    private string SelfId => _options.NodeId;

    /// <param name="handBackVersion"><see cref="ParkedRoutes.HandBackVersion"/> as read before the caller checked the parking.</param>
    public RouteResult Forward(in RouteRequest request, ClusterView view, string home, IRouteCompletion? completion, ulong token, long handBackVersion)
    {
        if (view.Live(home) is null) return RouteResult.Unavailable; // its data waits on its disk until it returns
        var result = LinkTo(home).TryForward(request, view.Epoch, completion, token, _parked, handBackVersion);
        return result == RouteResult.Pending && completion is null ? RouteResult.Queued : result;
    }

    /// <summary>The link to <paramref name="nodeId"/> (created idle if there is none yet).</summary>
    public PeerLink Link(string nodeId) => LinkTo(nodeId);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stoppingToken.Register(_shutdown.Cancel);
        _stopping = _shutdown.Token;
        _state.Changed += Reconcile;
        Reconcile(_state.View);
        stoppingToken.Register(() => _state.Changed -= Reconcile);
        return Task.CompletedTask;
    }

    /// <summary>Dials every live member this node is the dialler for; links to members that left are abandoned.</summary>
    private void Reconcile(ClusterView view)
    {
        if (_stopping.IsCancellationRequested) return;
        foreach (var member in view.Members.Values)
        {
            if (string.CompareOrdinal(SelfId, member.NodeId) >= 0) continue; // itself, or a node that dials us
            var link = LinkTo(member.NodeId);
            _dialers.GetOrAdd(member.NodeId, _ => Task.Run(() => DialLoopAsync(link, _stopping)));
        }
        foreach (var (id, link) in _links)
        {
            if (view.Members.ContainsKey(id) || (view.Table is { } table && table.Nodes.Contains(id))) continue;
            // Neither live nor an owner of anything: nobody will ever answer what waits for it.
            link.Session?.Close();
            link.Abandon();
        }
    }

    private PeerLink LinkTo(string nodeId) => _links.GetOrAdd(nodeId, id => new PeerLink(id, _options.PeerQueueFrames));

    private async Task DialLoopAsync(PeerLink link, CancellationToken stopping)
    {
        int failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            var member = _state.View.Live(link.RemoteId);
            if (member is not null)
            {
                try
                {
                    await DialOnceAsync(link, member, stopping).ConfigureAwait(false);
                    failures = 0;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested) { break; }
                catch (Exception ex)
                {
                    failures++;
                    if (failures <= 3 || failures % 50 == 0)
                        _logger.LogWarning("Peer link to {Node} at {Endpoint} failed ({Reason}); retrying.", link.RemoteId, member.PeerEndpoint, ex.Message);
                }
            }
            // Backoff with jitter: 50 ms doubling to 2 s, so a returning peer is found quickly and a dead one costs little.
            var delay = Math.Min(2000, 50 << Math.Min(failures, 6)) * (0.5 + Random.Shared.NextDouble() / 2);
            try { await Task.Delay(TimeSpan.FromMilliseconds(delay), stopping).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task DialOnceAsync(PeerLink link, MemberRecord member, CancellationToken stopping)
    {
        if (!Endpoints.TryParse(member.PeerEndpoint, out var host, out int port)) throw new InvalidOperationException($"bad peer address {member.PeerEndpoint}");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(host, port, connectTimeout.Token).ConfigureAwait(false);
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        using var driver = HandshakeDriver.CreateInitiator(_identity.PrivateKey, new ClientHello(SelfId, PeerSoftware).Encode(), member.PublicKey());
        using (var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            if (await HandshakeIo.RunAsync(driver, input, output, initiator: true, handshakeTimeout.Token).ConfigureAwait(false) != HandshakeProgress.Completed)
                throw new InvalidOperationException($"handshake failed: {driver.Failure}");
        }
        await RunSessionAsync(link, input, output, driver, stopping).ConfigureAwait(false);
    }

    /// <summary>An inbound peer connection (the peer port's connection handler).</summary>
    public async Task AcceptAsync(ConnectionContext connection)
    {
        if (_stopping.IsCancellationRequested) return; // this node is going away
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        using var driver = HandshakeDriver.CreateResponder(_identity.PrivateKey, _identity.PublicKey, _serverHello);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                if (await HandshakeIo.RunAsync(driver, input, output, initiator: false, timeout.Token).ConfigureAwait(false) != HandshakeProgress.Completed) return;
            }
            catch (OperationCanceledException) { return; }
        }
        if (!ClientHello.TryParse(driver.PeerPayload, out var hello) || _state.View.Live(hello.UserName) is not { } member
            || !CryptographicOperations.FixedTimeEquals(member.PublicKey(), driver.PeerStaticKey)
            || string.CompareOrdinal(hello.UserName, SelfId) >= 0)
        {
            _logger.LogWarning("Refused a peer connection from {Remote}: it claims node {Node} but presents key {Key}, which no live member record has.",
                connection.RemoteEndPoint, hello?.UserName ?? "?", Convert.ToHexString(driver.PeerStaticKey).ToLowerInvariant());
            return;
        }
        await RunSessionAsync(LinkTo(member.NodeId), input, output, driver, _stopping).ConfigureAwait(false);
    }

    private async Task RunSessionAsync(PeerLink link, PipeReader input, PipeWriter output, HandshakeDriver driver, CancellationToken stopping)
    {
        var session = new PeerSession(link, input, output, driver.Split(), this);
        link.Session?.Close(); // a newer connection from the same peer replaces the old one
        link.Attach(session, PeerFrames.Hello(Incarnation, _state.View.Epoch));
        _logger.LogInformation("Peer link to {Node} up.", link.RemoteId);
        await session.RunAsync(stopping).ConfigureAwait(false);
        _logger.LogInformation("Peer link to {Node} down.", link.RemoteId);
    }

    public bool OnFrame(PeerSession session, in Frame frame)
    {
        switch (frame.Type)
        {
            case (byte)PeerFrameType.Hello:
                if (!PeerFrames.TryParseHello(frame.Body, out ulong incarnation, out _)) return false;
                session.RemoteIncarnation = incarnation;
                session.Link.Inbound.Hello(incarnation);
                return true;
            case (byte)PeerFrameType.Forward:
                return session.RemoteIncarnation != 0 && HandleForward(session, frame.Body);
            case (byte)PeerFrameType.Ack:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong upTo)) return false;
                session.Link.OnAck(upTo);
                return true;
            case (byte)PeerFrameType.Refused:
                if (!PeerFrames.TryParseRefused(frame.Body, out ulong token, out var reason, out long epoch)) return false;
                if (reason == PeerRefusal.StaleEpoch) HoldBack(session, token, epoch);
                else session.Link.OnRefused(token, InboundState.ToResult(reason));
                return true;
            case (byte)PeerFrameType.Resync:
                session.RefusingUntilResync = false;
                return true;
            case (byte)FrameType.Ping:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong ping)) return false;
                var pong = new byte[MessageFrames.U64FrameLength];
                MessageFrames.WriteU64(pong, FrameType.Pong, ping);
                session.Link.SendOn(session, pong);
                return true;
            case (byte)FrameType.Pong:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong sent)) return false;
                session.Link.Metrics.Rtt(Stopwatch.GetElapsedTime((long)sent));
                return true;
            default:
                foreach (var consumer in _consumers)
                    if (consumer.Accepts(frame.Type)) return consumer.OnFrame(session, frame);
                return FrameTypes.IsOptional(frame.Type);
        }
    }

    /// <summary>
    /// A home refused a FORWARD because its epoch is not ours (one of us has not seen the latest
    /// table, or the recipient's partition is moving). It refuses everything after it until our
    /// RESYNC, so this takes back that entry and every later one and parks them, in order, to be
    /// routed again when the views agree — nothing is lost or overtaken.
    /// </summary>
    private void HoldBack(PeerSession session, ulong token, long theirEpoch)
    {
        var link = session.Link;
        _parked.BeginHandBack();
        var taken = link.TakeBackFrom(session, token, PeerFrames.U64Pair(PeerFrameType.Resync, _state.View.Epoch, token));
        if (taken.Count == 0)
        {
            _parked.EndHandBack();
            return;
        }
        try
        {
            var entries = new List<ParkedRoutes.Entry>(taken.Count);
            foreach (var outstanding in taken)
            {
                var f = outstanding.Frame;
                if (!PeerFrames.TryParseForward(f.AsSpan(ProtocolLimits.FrameHeaderLength), out _, out _, out var kind, out ulong messageId,
                    out var to, out var from, out var payload)) continue; // built here: always parses
                var request = new RouteRequest(to, kind, messageId, from, System.Text.Encoding.ASCII.GetString(from), payload);
                var view = _state.View;
                int partition = view.Table is { } table ? Partitioning.UserPartitioner.PartitionOf(to, table.Partitions) : 0;
                entries.Add(_parked.Capture(request, partition, outstanding.Completion, outstanding.ClientToken));
            }
            _parked.ReturnToFront(entries);
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("Took back from {Node}: {Entries}.", link.RemoteId, string.Join(", ", entries.Select(e => $"{e.FromName}->{System.Text.Encoding.ASCII.GetString(e.Recipient)} {e.MessageId}")));
        }
        finally
        {
            // In this order: a forward that gets past the link's hand-back flag sees the new version.
            _parked.EndHandBack();
            link.EndHandBack();
        }
        _logger.LogInformation("Node {Node} is at epoch {Theirs}, this node at {Ours}: {Count} forwards held until the views agree.",
            link.RemoteId, theirEpoch, _state.View.Epoch, taken.Count);
    }

    private bool HandleForward(PeerSession session, ReadOnlySpan<byte> body)
    {
        if (!PeerFrames.TryParseForward(body, out long epoch, out ulong token, out var kind, out ulong messageId, out var to, out var from, out var payload))
            return false;
        var inbound = session.Link.Inbound;
        var acks = session.InboundAcks ??= new AckTracker(_commit, session, 0);
        if (inbound.IsRepeat(token))
        {
            if (inbound.WasRefused(token, out var again)) Refuse(session, acks, token, again);
            else acks.Accepted(token); // queued before; acknowledged again once certainly durable
            return true;
        }
        var view = _state.View;
        if (session.RefusingUntilResync || epoch != view.Epoch || !view.OwnsNow(to))
        {
            // Not recorded as handled; and every later forward is refused too until the sender's
            // RESYNC says it took them all back, so none is accepted ahead of this one.
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("FORWARD {Token} from {Node}: {MessageId} refused as stale (its epoch {Epoch}, ours {Ours}, refusing until resync {Refusing}).",
                    token, session.Link.RemoteId, messageId, epoch, view.Epoch, session.RefusingUntilResync);
            session.RefusingUntilResync = true;
            Refuse(session, acks, token, PeerRefusal.StaleEpoch);
            return true;
        }
        var result = _local.RouteHere(new RouteRequest(to, kind, messageId, from, System.Text.Encoding.ASCII.GetString(from), payload));
        if (_logger.IsEnabled(LogLevel.Debug))
            _logger.LogDebug("FORWARD {Token} from {Node}: {Kind} {MessageId} {From} -> {To}: {Result}.", token, session.Link.RemoteId, kind, messageId,
                System.Text.Encoding.ASCII.GetString(from), System.Text.Encoding.ASCII.GetString(to), result);
        if (result == RouteResult.NotOwned)
        {
            session.RefusingUntilResync = true; // its partition started moving just now
            Refuse(session, acks, token, PeerRefusal.StaleEpoch);
            return true;
        }
        if (result == RouteResult.Queued)
        {
            inbound.Handled(token);
            acks.Accepted(token);
        }
        else
        {
            inbound.Refused(token, InboundState.From(result));
            Refuse(session, acks, token, InboundState.From(result));
        }
        return true;
    }

    private void Refuse(PeerSession session, AckTracker acks, ulong token, PeerRefusal reason)
    {
        var frame = new byte[PeerFrames.RefusedLength];
        PeerFrames.WriteRefused(frame, token, reason, _state.View.Epoch);
        session.Link.SendOn(session, frame); // before the cumulative ack can pass over the token
        acks.Routing(token);
        acks.Routed(token, accepted: false);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After the hand-off of a graceful leave (whose StoppingAsync runs before this one), and
    /// before Kestrel stops: Kestrel waits for every connection's handler, peer sessions included.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _shutdown.Cancel();
        foreach (var link in _links.Values) link.Session?.Close();
        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _shutdown.Cancel();
        foreach (var link in _links.Values) link.Session?.Close();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_dialers.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
