using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Connections;

/// <summary>What a REGISTER came to: the result to send, and whether the session starts or the connection closes.</summary>
internal readonly record struct RegistrationOutcome(RegisterStatus Status, string Message, ErrorCode CloseWith = ErrorCode.None)
{
    public bool Registered => Status == RegisterStatus.Registered;
}

/// <summary>
/// The REGISTERING state of one connection, and all it holds: the static key the handshake proved
/// (to bind to the name) and the count of wrong codes. It exists only until the session starts or
/// the connection closes, so an authenticated session carries none of it. Registration needs a
/// one-time code (sent through the verification sender, or issued by the admin command) unless
/// the server runs with OpenRegistration.
/// </summary>
internal sealed class RegistrationPhase(string user, byte[] clientKey)
{
    private int _wrongCodes;

    public async Task<RegistrationOutcome> HandleAsync(RegisterBody register, ServerContext server)
    {
        var options = server.Options;
        if (!options.OpenRegistration)
        {
            if (register.Code is null)
            {
                await server.VerificationSender.SendAsync(user, server.Codes.Issue(user), CancellationToken.None).ConfigureAwait(false);
                return new(RegisterStatus.CodeSent, "a verification code was sent");
            }
            if (!server.Codes.Verify(user, register.Code))
            {
                int left = options.RegistrationAttempts - ++_wrongCodes;
                return new(RegisterStatus.BadCode, $"wrong code; {Math.Max(0, left)} attempts left",
                    left <= 0 ? ErrorCode.RegistrationFailed : ErrorCode.None);
            }
        }
        var created = await server.Accounts.CreateAsync(user, clientKey, server.Clock.UnixMs).ConfigureAwait(false);
        if (created == CreateAccountResult.NotOwned)
            return new(RegisterStatus.Closed, "your account is moving to another server; retry shortly", ErrorCode.Unavailable);
        if (created == CreateAccountResult.NameTaken) return new(RegisterStatus.NameTaken, "that name is taken", ErrorCode.RegistrationFailed);
        server.Logger.LogInformation("Registered {User}.", user);
        return new(RegisterStatus.Registered, "registered");
    }
}
