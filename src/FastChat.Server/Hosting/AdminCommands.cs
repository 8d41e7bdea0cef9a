using FastChat.Protocol.Wire;
using Microsoft.Extensions.Configuration;

namespace FastChat.Server.Hosting;

/// <summary>Offline admin commands that work from the data directory alone.</summary>
public static class AdminCommands
{
    public static int IssueCode(string[] args)
    {
        if (args.Length < 1 || !UserName.IsValid(args[0]))
        {
            Console.Error.WriteLine("usage: fastchat-server issue-code <user> [--FastChat:DataDirectory=DIR]");
            return 2;
        }
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("FASTCHAT_")
            .AddCommandLine(args[1..])
            .Build();
        var options = configuration.GetSection(FastChatOptions.Section).Get<FastChatOptions>() ?? new FastChatOptions();
        var codes = new Accounts.RegistrationCodes(Path.GetFullPath(options.DataDirectory), TimeProvider.System);
        Console.WriteLine(codes.Issue(args[0]));
        return 0;
    }
}
