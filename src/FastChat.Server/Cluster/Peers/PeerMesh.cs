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
internal sealed class PeerMesh : BackgroundService, IPeerFrameHandler
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
    private CancellationToken _stopping;

    public PeerMesh(ClusterOptions options, ClusterState state, ServerIdentity identity, LocalMessageRouter local, GroupCommit commit,
        Telemetry.FastChatMetrics metrics, ILogger<PeerMesh> logger)
    {
        _options = options;
        _state = state;
        _identity = identity;
        _local = local;
        _commit = commit;
        _logger = logger;
        PeerLinkInstruments.Register(metrics.Meter, this, state);
        _serverHello = new ServerHello(Preamble.CurrentVersion, options.NodeId, ProtocolLimits.MaxRecordPlaintext, ProtocolLimits.MaxPayload, 30).Encode();
    }

    /// <summary>Fresh per process: a home node forgets a peer's tokens when this changes.</summary>
    public ulong Incarnation { get; } = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) | 1;

    public IReadOnlyDictionary<string, PeerLink> Links => _links;

    private string SelfId => _options.NodeId;

    public RouteResult Forward(in RouteRequest request, ClusterView view, string home, IRouteCompletion? completion, ulong token)
    {
        if (view.Live(home) is null) return RouteResult.Unavailable; // its data waits on its disk until it returns
        var link = LinkTo(home);
        if (!link.TryForward(request, view.Epoch, completion, token)) return RouteResult.Unavailable;
        return completion is null ? RouteResult.Queued : RouteResult.Pending;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
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
                if (reason == PeerRefusal.StaleEpoch)
                    _logger.LogWarning("Node {Node} refused a forward under epoch mismatch (its epoch {Theirs}, ours {Ours}).", session.Link.RemoteId, epoch, _state.View.Epoch);
                session.Link.OnRefused(token, InboundState.ToResult(reason));
                return true;
            case (byte)FrameType.Ping:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong ping)) return false;
                var pong = new byte[MessageFrames.U64FrameLength];
                MessageFrames.WriteU64(pong, FrameType.Pong, ping);
                session.Link.Send(pong);
                return true;
            case (byte)FrameType.Pong:
                if (!MessageFrames.TryParseU64(frame.Body, out ulong sent)) return false;
                session.Link.Metrics.Rtt(Stopwatch.GetElapsedTime((long)sent));
                return true;
            default:
                return FrameTypes.IsOptional(frame.Type);
        }
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
        if (epoch != view.Epoch || !view.IsSelf(view.HomeOf(to)))
        {
            // Not recorded as handled: the same token may be resent once both sides agree.
            Refuse(session, acks, token, PeerRefusal.StaleEpoch);
            return true;
        }
        var result = _local.RouteHere(new RouteRequest(to, kind, messageId, from, System.Text.Encoding.ASCII.GetString(from), payload));
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
        session.Link.Send(frame); // before the cumulative ack can pass over the token
        acks.Routing(token);
        acks.Routed(token, accepted: false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var link in _links.Values) link.Session?.Close();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_dialers.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
