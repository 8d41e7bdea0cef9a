using System.Buffers;
using System.Security.Cryptography;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Server.Connections;

internal sealed partial class ClientConnection
{
    /// <summary>Preamble, Noise XX as responder, then authentication. False closes the connection.</summary>
    private async Task<bool> HandshakeAsync()
    {
        var clientPreamble = new byte[Preamble.Length];
        if (!await ReadExactlyAsync(clientPreamble).ConfigureAwait(false)) return false;
        var status = _server.ShuttingDown ? PreambleStatus.ServerBusy : Preamble.Negotiate(clientPreamble, out _);
        var serverPreamble = new byte[Preamble.Length];
        Preamble.WriteServer(serverPreamble, status == PreambleStatus.Ok ? Preamble.CurrentVersion : Preamble.MaxSupportedVersion, status);
        await _output.WriteAsync(serverPreamble).ConfigureAwait(false);
        if (status != PreambleStatus.Ok)
        {
            _server.Metrics.HandshakeFailed();
            _server.Metrics.Error(status == PreambleStatus.UnsupportedVersion ? ErrorCode.UnsupportedVersion : ErrorCode.ProtocolError);
            return false;
        }

        using var handshake = new HandshakeState(false, Preamble.BuildPrologue(clientPreamble, serverPreamble), _server.Identity.PrivateKey,
            staticPublicKey: _server.Identity.PublicKey);
        var payload = ArrayPool<byte>.Shared.Rent(NoiseConstants.MaxMessageLength);
        try
        {
            // -> e
            var message = await ReadHandshakeMessageAsync().ConfigureAwait(false);
            if (message is null || handshake.ReadMessage(message, payload) < 0) return Fail();

            // <- e, ee, s, es  carrying ServerHello
            var hello = new ServerHello(Preamble.CurrentVersion, _server.Options.ServerName, ProtocolLimits.MaxRecordPlaintext,
                _server.Options.MaxPayloadBytes, _server.Options.KeepaliveSeconds);
            var helloBytes = ControlFrames.EncodeBody((ref MessagePackWriter w) => hello.Write(ref w));
            var reply = new byte[RecordFraming.LengthPrefix + handshake.MessageLength(helloBytes.Length)];
            int written = handshake.WriteMessage(helloBytes, reply.AsSpan(RecordFraming.LengthPrefix));
            RecordFraming.WriteLength(reply, written);
            await _output.WriteAsync(reply).ConfigureAwait(false);

            // -> s, se  carrying ClientHello
            message = await ReadHandshakeMessageAsync().ConfigureAwait(false);
            if (message is null) return Fail();
            int payloadLength = handshake.ReadMessage(message, payload);
            if (payloadLength < 0) return Fail();

            _transport = new NoiseTransport();
            handshake.Split(_transport);
            _server.Metrics.HandshakeCompleted();
            _lastReceiveTicks = Environment.TickCount64;

            if (!ClientHello.TryParse(payload.AsSpan(0, payloadLength), out var clientHello))
            {
                Close(ErrorCode.ProtocolError, "malformed ClientHello");
                return false;
            }
            return Authenticate(clientHello, handshake.RemoteStaticPublicKey);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    private bool Fail()
    {
        _server.Metrics.HandshakeFailed();
        _server.Metrics.Error(ErrorCode.HandshakeFailed);
        return false;
    }

    /// <summary>The handshake proved the client holds its static key; now bind it to a user.</summary>
    private bool Authenticate(ClientHello hello, ReadOnlySpan<byte> clientStaticKey)
    {
        if (!FastChat.Protocol.Wire.UserName.IsValid(hello.UserName))
        {
            Close(ErrorCode.InvalidUserName, "user names are 3-32 characters of a-z 0-9 . _ -");
            return false;
        }
        _userName = hello.UserName;
        _userBytes = System.Text.Encoding.ASCII.GetBytes(hello.UserName);
        _clientKey = clientStaticKey.ToArray();
        Span<byte> registered = stackalloc byte[32];
        if (!_server.Accounts.TryGetKey(_userName, registered))
        {
            _state = ConnectionState.Registering;
            TryWrite(ControlFrames.Encode(new WelcomeBody(WelcomeState.RegistrationRequired, _userName, NowMs, 0)));
            return true;
        }
        if (!CryptographicOperations.FixedTimeEquals(registered, clientStaticKey))
        {
            Close(ErrorCode.AuthFailed, "this name is registered to another device key");
            return false;
        }
        StartSession();
        return true;
    }

    private void StartSession()
    {
        _highWater = _acceptedId = _lastAckSent = LoadHighWater();
        _state = ConnectionState.Authenticated;
        _clientKey = null;
        _server.Metrics.SessionStarted();
        _sessionStarted = true;
        _server.Queues.Attach(this); // calls OnAttached (WELCOME) before it pushes the backlog
    }

    /// <summary>Benchmarks only: an authenticated session whose keys came from an in-memory handshake.</summary>
    internal void StartSessionForBenchmark(string user, NoiseTransport transport)
    {
        _transport = transport;
        _userName = user;
        _userBytes = System.Text.Encoding.ASCII.GetBytes(user);
        StartSession();
    }

    public void OnAttached(long queued) =>
        TryWrite(ControlFrames.Encode(new WelcomeBody(WelcomeState.Authenticated, UserName, NowMs, queued)));

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private async ValueTask<bool> ReadExactlyAsync(byte[] destination)
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= destination.Length)
            {
                buffer.Slice(0, destination.Length).CopyTo(destination);
                _input.AdvanceTo(buffer.GetPosition(destination.Length));
                return true;
            }
            if (result.IsCompleted || result.IsCanceled) return false;
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async ValueTask<byte[]?> ReadHandshakeMessageAsync()
    {
        while (true)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (RecordFraming.TryRead(ref buffer, out var message, out bool invalid))
            {
                if (message.Length > NoiseConstants.DhLength * 2 + 2 * NoiseConstants.TagLength + ProtocolLimits.MaxHandshakePayload)
                    return null;
                var bytes = message.ToArray();
                _input.AdvanceTo(buffer.Start);
                return bytes;
            }
            if (invalid || result.IsCompleted || result.IsCanceled) return null;
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
