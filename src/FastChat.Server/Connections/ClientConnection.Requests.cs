using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Connections;

/// <summary>
/// Control requests that wait on the server (REGISTER today; prekey fetches, group changes and
/// media tickets next). One runs at a time: while it does, the frames behind it stay unread (in
/// the pipe, or the rest of its record in <c>_deferredFrames</c>), so a session's frames are
/// handled strictly in order and a pipelining client gets its answers in order. A response
/// echoes the request's request_id.
/// </summary>
internal sealed partial class ClientConnection
{
    private Func<Task>? _pendingRequest;
    private RegistrationPhase? _registration; // only while REGISTERING
    private volatile bool _serverWorking;

    /// <summary>True while the server itself is handling a request of this connection (not the client's idleness).</summary>
    public bool ServerWorking => _serverWorking;

    private bool HasPendingRequest => _pendingRequest is not null;

    private bool QueueRegister(ReadOnlySpan<byte> body)
    {
        if (_registration is not { } registration || !RegisterBody.TryParse(body, out var register)) return Malformed("REGISTER");
        _pendingRequest = () => RegisterAsync(registration, register);
        return true;
    }

    private async Task RegisterAsync(RegistrationPhase registration, RegisterBody register)
    {
        var outcome = await registration.HandleAsync(register, _server).ConfigureAwait(false);
        TryWrite(ControlFrames.Encode(new RegisterResultBody(outcome.Status, outcome.Message, register.RequestId)));
        if (outcome.CloseWith != ErrorCode.None) Close(outcome.CloseWith, outcome.Message);
        else if (outcome.Registered)
        {
            _registration = null;
            StartSession(DeviceAddress.Primary);
        }
    }

    /// <summary>Runs the pending request; the sweeper does not count the time as the client's silence.</summary>
    private async Task RunPendingRequestAsync()
    {
        var request = _pendingRequest!;
        _pendingRequest = null;
        _serverWorking = true;
        try { await request().ConfigureAwait(false); }
        finally
        {
            Volatile.Write(ref _lastReceiveTicks, _server.Clock.NowTicks);
            _serverWorking = false;
        }
    }
}
