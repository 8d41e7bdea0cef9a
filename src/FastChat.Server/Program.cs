using FastChat.Server.Accounts;
using FastChat.Server.Hosting;

// fastchat-server                      run the server (configuration: appsettings.json, FASTCHAT__* env, --FastChat:Key=value)
// fastchat-server issue-code <user>    print a registration code for <user> (reads the data directory's secret)
if (args.Length >= 1 && args[0] == "issue-code")
{
    return AdminCommands.IssueCode(args[1..]);
}

var app = FastChatHost.Build(args);
await app.RunAsync();
return 0;
