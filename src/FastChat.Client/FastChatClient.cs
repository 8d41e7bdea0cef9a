using FastChat.Client.Transport;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Client;

/// <summary>
/// The FastChat client: connects and authenticates, sends with retry until the server's ✓,
/// raises events for messages and receipts, acknowledges deliveries, drops redeliveries, and
/// reconnects with exponential backoff, resending whatever was not yet acknowledged, in order.
/// </summary>
public sealed partial class FastChatClient : IAsyncDisposable
{
    private readonly FastChatClientOptions _options;
    private readonly object _lock = new();
    private readonly ServerEndpoints _endpoints;
    private readonly SortedDictionary<ulong, PendingSend> _pending = new();
    private readonly Dictionary<string, ulong> _lastSeen = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _dispose = new();
    private ClientTransport? _transport;
    private TaskCompletionSource<WelcomeBody> _welcome = NewTcs<WelcomeBody>();
    private TaskCompletionSource<RegisterResultBody>? _registerResult;
    private Task? _readLoop;
    private FrameWriterLoop? _writer;
    private bool _ready; // guarded by _lock: the current connection is authenticated and has the backlog
    private ulong _lastMessageId;
    private bool _everConnected;
    private int _reconnecting;

    public FastChatClient(FastChatClientOptions options)
    {
        _options = options;
        _endpoints = new ServerEndpoints(options);
        _lastMessageId = options.StateStore?.LastMessageId ?? 0;
    }

    public event Action<IncomingMessage>? MessageReceived;
    public event Action<Receipt>? ReceiptReceived;
    /// <summary>Raised when a connection ends, with the server's reason when it gave one.</summary>
    public event Action<ErrorCode, string>? Disconnected;
    public event Action<WelcomeBody>? Connected;

    public string UserName => _options.UserName;

    /// <summary>This device's id in its account (1, the primary, until a companion signs in): from WELCOME.</summary>
    public byte DeviceId { get; private set; } = DeviceList.PrimaryDevice;

    /// <summary>This device's Noise static public key: what the server knows it by, and what a device list names.</summary>
    public byte[] DeviceKey
    {
        get
        {
            var key = new byte[32];
            Protocol.Crypto.Sodium.X25519PublicKey(_options.StaticPrivateKey, key);
            return key;
        }
    }
    public bool IsConnected { get { lock (_lock) return _ready; } }
    public byte[]? ServerPublicKey { get; private set; }
    public ServerHello? ServerHello { get; private set; }
    public int PendingCount { get { lock (_lock) return _pending.Count; } }

    /// <summary>
    /// Connects and waits for WELCOME: Authenticated, or RegistrationRequired for a new name.
    /// Follows REDIRECTs to the user's home server; a server that cannot be reached is replaced
    /// by the next seed.
    /// </summary>
    public async Task<WelcomeBody> ConnectAsync(CancellationToken cancellationToken = default)
    {
        const int MaxRedirects = 3;
        int redirects = 0, unreachable = 0;
        // A REDIRECT that ended the last session (the home handed the user to another node) is followed first.
        _endpoints.FollowRedirect();
        while (true)
        {
            try { return await ConnectOnceAsync(cancellationToken).ConfigureAwait(false); }
            catch (FastChatException ex) when (ex.Code == ErrorCode.Redirect && redirects < MaxRedirects && _endpoints.FollowRedirect()) { redirects++; }
            // A dead home (or seed) is replaced by the next seed, which redirects to the user's home now.
            catch (System.Net.Sockets.SocketException) when (unreachable++ < _endpoints.SeedCount) { _endpoints.NextSeed(_options.ServerPublicKey); }
        }
    }

    /// <summary>Where the client is (or will be) connected.</summary>
    public (string Host, int Port) Server => (_endpoints.Host, _endpoints.Port);

    private async Task<WelcomeBody> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _dispose.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var welcome = NewTcs<WelcomeBody>();
        _welcome = welcome;
        var transport = await ClientTransport.ConnectAsync(_endpoints.Host, _endpoints.Port,
            new ClientHello(_options.UserName, _options.ClientSoftware, _options.LinkIdentityKey),
            _options.StaticPrivateKey, _endpoints.Key, timeout.Token).ConfigureAwait(false);
        ServerPublicKey = transport.ServerStaticKey;
        ServerHello = transport.Hello;
        lock (_lock)
        {
            _ready = false;
            _transport = transport;
            _writer = new FrameWriterLoop(transport, _dispose.Token);
        }
        var writer = _writer;
        _readLoop = Task.Run(() => ReadLoopAsync(transport, writer));
        var body = await welcome.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        if (body.State == WelcomeState.Authenticated) OnAuthenticated(writer);
        return body;
    }

    /// <summary>Asks the server to send a registration code to the name's owner.</summary>
    public Task<RegisterResultBody> RequestCodeAsync(CancellationToken ct = default) => RegisterCoreAsync(null, ct);

    /// <summary>
    /// Registers the name from the handshake to this device's key. With no code, an open server
    /// registers at once and any other server sends a code (result CodeSent).
    /// </summary>
    public async Task<RegisterResultBody> RegisterAsync(string? code, CancellationToken ct = default)
    {
        var welcome = NewTcs<WelcomeBody>();
        _welcome = welcome;
        var result = await RegisterCoreAsync(code, ct).ConfigureAwait(false);
        if (result.Status == RegisterStatus.Registered)
        {
            await welcome.Task.WaitAsync(ct).ConfigureAwait(false);
            OnAuthenticated(_writer!);
        }
        return result;
    }

    private async Task<RegisterResultBody> RegisterCoreAsync(string? code, CancellationToken ct)
    {
        var writer = _writer ?? throw new InvalidOperationException("Not connected.");
        var tcs = NewTcs<RegisterResultBody>();
        _registerResult = tcs;
        writer.Enqueue(ControlFrames.Encode(new RegisterBody(code)));
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>Sends a message; completes with its id once the server has it durably (✓).</summary>
    public Task<ulong> SendAsync(string to, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        var toBytes = System.Text.Encoding.ASCII.GetBytes(to);
        return Send(id =>
        {
            var frame = new byte[MessageFrames.SendLength(toBytes.Length, payload.Length)];
            MessageFrames.WriteSend(frame, id, toBytes, payload.Span);
            return frame;
        }, ct);
    }

    /// <summary>
    /// Sends one message as a copy per device of <paramref name="to"/> (ascending device ids) for
    /// the list <paramref name="generation"/> the copies were made for; completes once every copy is
    /// durable (✓), or fails with <see cref="ErrorCode.StaleDevices"/> when the list has changed.
    /// </summary>
    public Task<ulong> SendToDevicesAsync(string to, ulong generation, IReadOnlyList<(byte Device, byte[] Payload)> copies, CancellationToken ct = default)
    {
        var toBytes = System.Text.Encoding.ASCII.GetBytes(to);
        return Send(id =>
        {
            var frame = new byte[DeviceCopyFrames.SendDevicesLength(toBytes.Length, copies)];
            DeviceCopyFrames.WriteSendDevices(frame, id, toBytes, generation, copies);
            return frame;
        }, ct);
    }

    private Task<ulong> Send(Func<ulong, byte[]> build, CancellationToken ct)
    {
        PendingSend pending;
        lock (_lock)
        {
            ulong id = NextMessageId();
            var frame = build(id);
            pending = new PendingSend(id, frame);
            _pending.Add(id, pending);
            if (_ready) _writer?.Enqueue(frame);
        }
        return pending.Completion.Task.WaitAsync(ct);
    }

    /// <summary>Tells <paramref name="peer"/> their messages up to <paramref name="messageId"/> were read.</summary>
    /// <param name="group">The group's id when <paramref name="messageId"/> is a group message (its read receipt counts within that group).</param>
    public Task<ulong> MarkReadAsync(string peer, ulong messageId, CancellationToken ct = default, byte[]? group = null)
    {
        var peerBytes = System.Text.Encoding.ASCII.GetBytes(peer);
        return Send(id =>
        {
            var frame = new byte[MessageFrames.ReadLength(peerBytes.Length, group?.Length ?? 0)];
            MessageFrames.WriteRead(frame, id, peerBytes, messageId, group);
            return frame;
        }, ct);
    }

    private ulong NextMessageId()
    {
        // Strictly increasing across restarts: at least the wall clock in microseconds.
        ulong now = (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        _lastMessageId = Math.Max(_lastMessageId + 1, now);
        if (_options.StateStore is { } store) store.LastMessageId = _lastMessageId;
        return _lastMessageId;
    }

    /// <summary>Queues the unacknowledged backlog ahead of any new send, in id order.</summary>
    private void OnAuthenticated(FrameWriterLoop writer)
    {
        _everConnected = true;
        lock (_lock)
        {
            foreach (var pending in _pending.Values) writer.Enqueue(pending.Frame);
            _ready = true;
        }
        RewatchAfterReconnect(writer);
        Connected?.Invoke(_welcome.Task.Result);
    }

    private async Task ReadLoopAsync(ClientTransport transport, FrameWriterLoop writer)
    {
        ErrorCode code = ErrorCode.None;
        string reason = "connection lost";
        try
        {
            while (!_dispose.IsCancellationRequested)
            {
                var record = await transport.ReadRecordAsync(_dispose.Token).ConfigureAwait(false);
                var (ack, disconnect) = HandleRecord(record.Span, writer);
                if (ack is { } upTo)
                {
                    var frame = new byte[MessageFrames.U64FrameLength];
                    MessageFrames.WriteU64(frame, FrameType.DeliveryAck, upTo);
                    writer.Enqueue(frame);
                }
                if (disconnect is not null)
                {
                    (code, reason) = (disconnect.Code, disconnect.Reason);
                    break;
                }
            }
        }
        catch (FastChatException ex) { (code, reason) = (ex.Code, ex.Message); }
        catch (Exception) when (_dispose.IsCancellationRequested) { return; }
        catch (Exception ex) { reason = ex.Message; }

        lock (_lock)
        {
            if (ReferenceEquals(_transport, transport))
            {
                _transport = null;
                _ready = false;
            }
        }
        writer.Complete();
        await transport.DisposeAsync().ConfigureAwait(false);
        _welcome.TrySetException(new FastChatException(code, reason));
        _registerResult?.TrySetException(new FastChatException(code, reason));
        _requests.FailAll(new FastChatException(code, reason));
        Disconnected?.Invoke(code, reason);
        bool retry = _options.AutoReconnect && _everConnected && !_dispose.IsCancellationRequested
            && code is not (ErrorCode.Replaced or ErrorCode.AuthFailed or ErrorCode.DeviceRemoved or ErrorCode.InvalidUserName or ErrorCode.RegistrationFailed);
        if (retry) _ = ReconnectAsync();
    }

    /// <summary>Handles one record's frames; returns the DELIVERY_ACK to send (if any) and a DISCONNECT.</summary>
    private (ulong? Ack, DisconnectBody? Disconnect) HandleRecord(ReadOnlySpan<byte> record, FrameWriterLoop writer)
    {
        ulong? ack = null;
        var reader = new FrameReader(record);
        while (reader.TryRead(out var frame, out bool malformed))
        {
            switch ((FrameType)frame.Type)
            {
                case FrameType.Welcome when WelcomeBody.TryParse(frame.Body, out var welcome):
                    if (welcome.State == WelcomeState.Authenticated) DeviceId = welcome.DeviceId;
                    _welcome.TrySetResult(welcome);
                    break;
                case FrameType.RegisterResult when RegisterResultBody.TryParse(frame.Body, out var result):
                    _registerResult?.TrySetResult(result);
                    break;
                case FrameType.ServerAck when MessageFrames.TryParseU64(frame.Body, out ulong upTo):
                    CompleteUpTo(upTo);
                    break;
                case FrameType.Error when ErrorBody.TryParse(frame.Body, out var error):
                    Fail(error);
                    break;
                case FrameType.Deliver when MessageFrames.TryParseDeliver(frame.Body, out var deliver):
                    OnDeliver(deliver);
                    ack = deliver.Sequence;
                    break;
                case FrameType.Ping when MessageFrames.TryParseU64(frame.Body, out ulong token):
                    var pong = new byte[MessageFrames.U64FrameLength];
                    MessageFrames.WriteU64(pong, FrameType.Pong, token);
                    writer.Enqueue(pong);
                    break;
                case FrameType.Pong:
                    break;
                case FrameType.PrekeyStatus when PrekeyStatusBody.TryParse(frame.Body, out var prekeyStatus):
                    OnPrekeyStatus(prekeyStatus);
                    break;
                case FrameType.PrekeyBundles when PrekeyBundlesBody.TryParse(frame.Body, out var bundles):
                    _requests.Complete(bundles.RequestId, bundles);
                    break;
                case FrameType.DeviceListStatus when DeviceListStatusBody.TryParse(frame.Body, out var listStatus):
                    _requests.Complete(listStatus.RequestId, listStatus);
                    break;
                case FrameType.LinkRequests when LinkRequestsBody.TryParse(frame.Body, out var linkRequests):
                    _requests.Complete(linkRequests.RequestId, linkRequests);
                    break;
                case FrameType.GroupResult when GroupResultBody.TryParse(frame.Body, out var groupResult):
                    _requests.Complete(groupResult.RequestId, groupResult);
                    break;
                case FrameType.GroupState when GroupStateBody.TryParse(frame.Body, out var groupState):
                    _requests.Complete(groupState.RequestId, groupState);
                    break;
                case FrameType.PresenceResult when PresenceResultBody.TryParse(frame.Body, out var presenceResult):
                    _requests.Complete(presenceResult.RequestId, presenceResult);
                    break;
                case FrameType.MediaTicket when MediaTicketBody.TryParse(frame.Body, out var ticket):
                    _requests.Complete(ticket.RequestId, ticket);
                    break;
                case FrameType.Presence when PresenceBody.TryParse(frame.Body, out var presence):
                    PresenceChanged?.Invoke(presence);
                    break;
                case FrameType.TypingNotice:
                    OnTypingNotice(frame.Body);
                    break;
                case FrameType.LinkDone when LinkDoneBody.TryParse(frame.Body, out var linked):
                    _linkDone.TrySetResult(linked);
                    break;
                case FrameType.Redirect when RedirectBody.TryParse(frame.Body, out var redirect):
                    _endpoints.Offer(redirect);
                    break;
                case FrameType.Disconnect when DisconnectBody.TryParse(frame.Body, out var disconnect):
                    return (ack, disconnect);
                default:
                    if (!FrameTypes.IsOptional(frame.Type))
                        throw new FastChatException(ErrorCode.ProtocolError, $"unexpected frame 0x{frame.Type:x2}");
                    break;
            }
        }
        if (!reader.End) throw new FastChatException(ErrorCode.ProtocolError, "truncated frame from server");
        return (ack, null);
    }

    private void OnDeliver(in DeliverView deliver)
    {
        var peer = System.Text.Encoding.ASCII.GetString(deliver.Peer);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(deliver.TimeMs);
        if (deliver.Kind == DeliveryKind.GroupMessage)
        {
            // Not deduplicated by id here: a sender's ids are shared with its direct messages, which take another path.
            // Sender keys refuse a repeat (DuplicateMessage) instead.
            GroupMessageReceived?.Invoke(new IncomingGroupMessage(peer, deliver.Payload[..Protocol.Wire.GroupAddress.IdLength].ToArray(), deliver.MessageId, time,
                deliver.Payload[Protocol.Wire.GroupAddress.IdLength..].ToArray()));
            return;
        }
        if (deliver.Kind == DeliveryKind.GroupChange)
        {
            if (GroupEvent.TryParse(deliver.Payload, out var happened)) GroupChanged?.Invoke(peer, happened);
            return;
        }
        if (deliver.Kind != DeliveryKind.Message)
        {
            ReceiptReceived?.Invoke(new Receipt(deliver.Kind == DeliveryKind.ReadReceipt ? ReceiptKind.Read : ReceiptKind.Delivered, peer, deliver.MessageId, time,
                deliver.Payload.Length == Protocol.Wire.GroupAddress.IdLength ? deliver.Payload.ToArray() : null));
            return;
        }
        // Messages from one sender arrive in id order, so anything not above the last seen is a redelivery.
        ulong last = _lastSeen.TryGetValue(peer, out var seen) ? seen : _options.StateStore?.GetLastSeen(peer) ?? 0;
        if (deliver.MessageId <= last) return;
        _lastSeen[peer] = deliver.MessageId;
        _options.StateStore?.SetLastSeen(peer, deliver.MessageId);
        MessageReceived?.Invoke(new IncomingMessage(peer, deliver.MessageId, time, deliver.Payload.ToArray()));
    }

    private void CompleteUpTo(ulong upTo)
    {
        List<PendingSend> done = new();
        lock (_lock)
        {
            foreach (var (id, pending) in _pending)
            {
                if (id > upTo) break;
                done.Add(pending);
            }
            foreach (var pending in done) _pending.Remove(pending.Id);
        }
        foreach (var pending in done) pending.Completion.TrySetResult(pending.Id);
        _options.StateStore?.Save();
    }

    private void Fail(ErrorBody error)
    {
        PendingSend? pending;
        lock (_lock)
        {
            if (_pending.Remove(error.RefId, out pending)) { }
        }
        pending?.Completion.TrySetException(new FastChatException(error.Code, error.Message));
    }

    private async Task ReconnectAsync()
    {
        if (Interlocked.Exchange(ref _reconnecting, 1) == 1) return;
        try
        {
            var delay = _options.ReconnectMinDelay;
            while (!_dispose.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, delay.TotalMilliseconds / 4))), _dispose.Token).ConfigureAwait(false);
                    await ConnectAsync(_dispose.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (_dispose.IsCancellationRequested) { return; }
                catch (FastChatException ex) when (ex.Code is ErrorCode.AuthFailed or ErrorCode.Replaced) { return; }
                catch (FastChatException ex) when (ex.Code is ErrorCode.Unavailable)
                {
                    delay = TimeSpan.FromTicks(Math.Min(_options.UnavailableRetryMaxDelay.Ticks, delay.Ticks * 2));
                }
                catch (Exception)
                {
                    delay = TimeSpan.FromTicks(Math.Min(_options.ReconnectMaxDelay.Ticks, delay.Ticks * 2));
                }
            }
        }
        finally { Interlocked.Exchange(ref _reconnecting, 0); }
    }

    /// <summary>Says goodbye (DISCONNECT) and closes; pending sends stay pending.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_dispose.IsCancellationRequested) return;
        var transport = _transport;
        var writer = _writer;
        if (transport is not null && writer is not null)
        {
            writer.Enqueue(ControlFrames.Encode(new DisconnectBody(ErrorCode.ClientClosing, "bye")));
            writer.Complete();
            try { await writer.Completion.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false); }
            catch (Exception) { }
        }
        _dispose.Cancel();
        if (transport is not null) await transport.DisposeAsync().ConfigureAwait(false);
        if (_readLoop is not null) await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _options.StateStore?.Save();
        lock (_lock)
        {
            foreach (var pending in _pending.Values) pending.Completion.TrySetCanceled();
        }
    }

    private static TaskCompletionSource<T> NewTcs<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class PendingSend(ulong id, byte[] frame)
    {
        public ulong Id { get; } = id;
        public byte[] Frame { get; } = frame;
        public TaskCompletionSource<ulong> Completion { get; } = NewTcs<ulong>();
    }
}
