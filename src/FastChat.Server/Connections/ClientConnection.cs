using System.IO.Pipelines;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;
using FastChat.Server.Delivery;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Connections;

internal enum ConnectionState { Handshaking, Registering, Linking, Authenticated, Closing }

/// <summary>
/// One client connection: preamble and handshake, then records in and out. Split by job across
/// partial files (Handshake, Receive, Dispatch, Outbound, Acks, Registration) so that one small
/// object carries all per-connection state: that is what an idle connection costs.
/// </summary>
internal sealed partial class ClientConnection : IDeliveryTarget
{
    private readonly ConnectionContext _context;
    private readonly ServerContext _server;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly long _id;
    private readonly long _openedTicks;
    private NoiseTransport? _transport;
    private string? _userName;      // the account
    private byte[]? _userBytes;
    private byte _device;           // the signed-in device of the account, its address below
    private string? _address;
    private byte[]? _addressBytes;
    private volatile ConnectionState _state;
    private long _lastReceiveTicks;
    private volatile bool _pingOutstanding;
    private bool _sessionStarted;

    public ClientConnection(ConnectionContext context, ServerContext server)
    {
        _context = context;
        _server = server;
        _input = context.Transport.Input;
        _output = context.Transport.Output;
        _openedTicks = _lastReceiveTicks = server.Clock.NowTicks;
        _rate = new FrameRateLimiter(_openedTicks, server.Options.FrameBurst);
        _id = server.Registry.Add(this);
    }

    public string UserName => _userName ?? "";
    public string Address => _address ?? "";
    public QueueState? Queue { get; set; }
    public ConnectionState State => _state;
    public long OpenedTicks => _openedTicks;
    public long LastReceiveTicks => Volatile.Read(ref _lastReceiveTicks);
    public bool PingOutstanding => _pingOutstanding;

    public async Task RunAsync()
    {
        _server.Metrics.ConnectionOpened();
        try
        {
            if (await HandshakeAsync().ConfigureAwait(false))
            {
                while (_state != ConnectionState.Closing)
                {
                    var result = await _input.ReadAsync().ConfigureAwait(false);
                    bool keepGoing = ProcessReceived(result);
                    // A request that waits on the server holds back every frame behind it: in order, always.
                    while (keepGoing && HasPendingRequest)
                    {
                        await RunPendingRequestAsync().ConfigureAwait(false);
                        keepGoing = _state != ConnectionState.Closing && DispatchDeferred();
                    }
                    if (!keepGoing) break;
                }
            }
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException)
        {
            // The peer went away or we aborted it: nothing more to say.
        }
        catch (Exception ex)
        {
            _server.Logger.LogError(ex, "Connection {Id} ({User}) failed.", _id, _userName);
            Close(ErrorCode.InternalError, "internal error");
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends DISCONNECT with a reason (when the channel is up) and stops reading.</summary>
    public void Close(ErrorCode code, string reason)
    {
        if (_state == ConnectionState.Closing) return;
        if (code is not (ErrorCode.None or ErrorCode.ClientClosing or ErrorCode.ServerShutdown or ErrorCode.Replaced))
        {
            _server.Metrics.Error(code);
            _server.Logger.LogInformation("Closing connection {Id} ({User}): {Code} {Reason}", _id, _userName, code, reason);
        }
        if (_transport is not null) WriteClosing(ControlFrames.Encode(new DisconnectBody(code, reason)));
        _state = ConnectionState.Closing;
        _input.CancelPendingRead();
    }

    /// <summary>Hard stop, for a peer that never finished its handshake.</summary>
    public void Abort(string reason)
    {
        _state = ConnectionState.Closing;
        _context.Abort(new ConnectionAbortedException(reason));
    }

    public void Replace() => Close(ErrorCode.Replaced, "signed in from another connection");

    public void Removed() => Close(ErrorCode.DeviceRemoved, "this device was removed from the account by its primary device");

    public void Notify(ReadOnlySpan<byte> frame) => TryWrite(frame);

    public void Relocate(Routing.UserLocation nextHome)
    {
        if (nextHome.HomeEndpoint is null) Close(ErrorCode.Unavailable, "your account is moving to another server; reconnect shortly");
        else Redirect(nextHome);
    }

    public void SendPing()
    {
        _pingOutstanding = true;
        Span<byte> frame = stackalloc byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(frame, FrameType.Ping, (ulong)_server.Clock.NowTicks);
        TryWrite(frame);
    }

    private async Task FinishAsync()
    {
        _state = ConnectionState.Closing;
        StopWaitingForLink();
        EndPresence();
        if (_sessionStarted)
        {
            _server.Queues.Detach(this);
            _server.Metrics.SessionEnded();
        }
        await DrainOutboundAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        _server.Registry.Remove(_id);
        _server.Metrics.ConnectionClosed();
        _transport?.Clear();
        await _output.CompleteAsync().ConfigureAwait(false);
    }
}
