using System.Security.Cryptography;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Connections;

internal sealed partial class ClientConnection
{
    /// <summary>Preamble and Noise XX as responder (the Protocol's driver), then authentication. False closes the connection.</summary>
    private async Task<bool> HandshakeAsync()
    {
        using var driver = HandshakeDriver.CreateResponder(_server.Identity.PrivateKey, _server.Identity.PublicKey,
            _server.ServerHelloPayload, () => _server.ShuttingDown);
        if (await HandshakeIo.RunAsync(driver, _input, _output, initiator: false).ConfigureAwait(false) != HandshakeProgress.Completed)
        {
            _server.Metrics.HandshakeFailed();
            _server.Metrics.Error(driver.Failure switch
            {
                HandshakeFailure.UnsupportedVersion => ErrorCode.UnsupportedVersion,
                HandshakeFailure.BadPreamble or HandshakeFailure.BadMessageLength => ErrorCode.ProtocolError,
                HandshakeFailure.ServerBusy => ErrorCode.ServerShutdown,
                _ => ErrorCode.HandshakeFailed,
            });
            return false;
        }
        _transport = driver.Split();
        _server.Metrics.HandshakeCompleted();
        _lastReceiveTicks = _server.Clock.NowTicks;
        if (!ClientHello.TryParse(driver.PeerPayload, out var clientHello))
        {
            Close(ErrorCode.ProtocolError, "malformed ClientHello");
            return false;
        }
        return Authenticate(clientHello, driver.PeerStaticKey);
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
        // A user's account, queue and sessions live on its home node; anyone else sends it there.
        if (_server.Locator.Locate(_userBytes) is { IsLocal: false } home) return Redirect(home);
        Span<byte> registered = stackalloc byte[32];
        if (!_server.Accounts.TryGetKey(_userName, registered))
        {
            if (hello.LinkIdentityKey is not null)
            {
                Close(ErrorCode.AuthFailed, $"there is no account {_userName} to link this device to");
                return false;
            }
            _state = ConnectionState.Registering;
            _registration = new RegistrationPhase(_userName, clientStaticKey.ToArray());
            TryWrite(ControlFrames.Encode(new WelcomeBody(WelcomeState.RegistrationRequired, _userName, NowMs, 0)));
            return true;
        }
        // The primary is the registered key; a companion is a key the account's signed list names.
        byte? device = CryptographicOperations.FixedTimeEquals(registered, clientStaticKey)
            ? Protocol.Wire.DeviceAddress.Primary
            : _server.DeviceLists.FindDevice(_userName, clientStaticKey);
        if (device is { } signedIn)
        {
            StartSession(signedIn);
            return true;
        }
        if (hello.LinkIdentityKey is { } identityKey) return WaitForLink(clientStaticKey, identityKey);
        Close(ErrorCode.AuthFailed, "this name is registered to another device key; to add this device, link it from the account's primary device");
        return false;
    }

    private bool Redirect(Routing.UserLocation home)
    {
        if (home is { HomeEndpoint: { } endpoint, HomeKey: { } key } && Endpoints.TryParse(endpoint, out var host, out int port))
        {
            _server.Metrics.Redirected();
            TryWrite(ControlFrames.Encode(new RedirectBody(host, port, home.Epoch, key)));
            Close(ErrorCode.Redirect, $"your home server is {endpoint}");
        }
        else Close(ErrorCode.Unavailable, "your home server is not reachable now; retry later");
        return false;
    }

    private void StartSession(byte device)
    {
        _device = device;
        _address = Protocol.Wire.DeviceAddress.Format(UserName, device);
        _addressBytes = System.Text.Encoding.ASCII.GetBytes(_address);
        _ledger.Load(_server.Store, _addressBytes);
        _state = ConnectionState.Authenticated;
        _server.Metrics.SessionStarted();
        _sessionStarted = true;
        CountPresence(); // before WELCOME: a watcher may be told of this session as soon as the client knows of it
        // Attach sends WELCOME (OnAttached) before it pushes the backlog; it refuses while the user's partition moves.
        if (!_server.Queues.Attach(this)) Close(ErrorCode.Unavailable, "your account is moving to another server; retry shortly");
        else SendPrekeyLoginNotice();
    }

    /// <summary>Benchmarks only: an authenticated session whose keys came from an in-memory handshake.</summary>
    internal void StartSessionForBenchmark(string user, Protocol.Noise.NoiseTransport transport)
    {
        _transport = transport;
        _userName = user;
        _userBytes = System.Text.Encoding.ASCII.GetBytes(user);
        StartSession(Protocol.Wire.DeviceAddress.Primary);
    }

    public void OnAttached(long queued) =>
        TryWrite(ControlFrames.Encode(new WelcomeBody(WelcomeState.Authenticated, UserName, NowMs, queued, _device)));

    private long NowMs => _server.Clock.UnixMs;
}
