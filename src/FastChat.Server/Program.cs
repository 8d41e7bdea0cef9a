using FastChat.Server.Hosting;

// Admin commands (issue-code, server-key, help) or the server; see AdminCommands.Usage.
if (AdminCommands.TryRun(args) is { } exitCode) return exitCode;

try
{
    var app = FastChatHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException ex)
{
    // A configuration error: say which setting, without a stack trace.
    Console.Error.WriteLine($"fastchat-server: {ex.Message}");
    return 2;
}
