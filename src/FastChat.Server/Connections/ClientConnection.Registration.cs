using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Connections;

/// <summary>
/// Registration binds the name claimed in the handshake to the static key the handshake
/// proved. It needs a one-time code (sent through the verification sender, or issued by the
/// admin command) unless the server runs with OpenRegistration.
/// </summary>
internal sealed partial class ClientConnection
{
    private byte[]? _clientKey;
    private int _registrationAttempts;

    private async Task HandleRegisterAsync(RegisterBody register)
    {
        var user = UserName;
        var options = _server.Options;
        if (!options.OpenRegistration)
        {
            if (register.Code is null)
            {
                await _server.VerificationSender.SendAsync(user, _server.Codes.Issue(user), CancellationToken.None).ConfigureAwait(false);
                TryWrite(ControlFrames.Encode(new RegisterResultBody(RegisterStatus.CodeSent, "a verification code was sent")));
                return;
            }
            if (!_server.Codes.Verify(user, register.Code))
            {
                int left = options.RegistrationAttempts - ++_registrationAttempts;
                TryWrite(ControlFrames.Encode(new RegisterResultBody(RegisterStatus.BadCode, $"wrong code; {Math.Max(0, left)} attempts left")));
                if (left <= 0) Close(ErrorCode.RegistrationFailed, "too many wrong codes");
                return;
            }
        }
        var created = await _server.Accounts.CreateAsync(user, _clientKey!, NowMs).ConfigureAwait(false);
        if (created == CreateAccountResult.NameTaken)
        {
            TryWrite(ControlFrames.Encode(new RegisterResultBody(RegisterStatus.NameTaken, "that name is taken")));
            Close(ErrorCode.RegistrationFailed, "name taken");
            return;
        }
        _server.Logger.LogInformation("Registered {User}.", user);
        TryWrite(ControlFrames.Encode(new RegisterResultBody(RegisterStatus.Registered, "registered")));
        StartSession();
    }
}
