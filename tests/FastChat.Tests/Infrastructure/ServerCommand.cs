using System.Diagnostics;

namespace FastChat.Tests.Infrastructure;

/// <summary>Runs one <c>fastchat-server</c> admin command (the real build output) and collects what it printed.</summary>
public static class ServerCommand
{
    public static async Task<(int Exit, string Output)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fastchat-server.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, (await output) + (await error));
    }
}
