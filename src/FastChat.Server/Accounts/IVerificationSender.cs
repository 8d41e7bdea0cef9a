using Microsoft.Extensions.Logging;

namespace FastChat.Server.Accounts;

/// <summary>Delivers a registration code to the person who owns the name (the seam where SMS goes).</summary>
public interface IVerificationSender
{
    Task SendAsync(string user, string code, CancellationToken cancellationToken);
}

/// <summary>Default sender: writes the code to the server log, for development and admins.</summary>
public sealed class LogVerificationSender(ILogger<LogVerificationSender> logger) : IVerificationSender
{
    public Task SendAsync(string user, string code, CancellationToken cancellationToken)
    {
        logger.LogWarning("Registration code for {User}: {Code}", user, code);
        return Task.CompletedTask;
    }
}
