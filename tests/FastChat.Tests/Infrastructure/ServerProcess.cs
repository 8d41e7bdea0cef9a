using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastChat.Tests.Infrastructure;

/// <summary>The real server as a child process (the build output beside the tests), for kill -9 and shutdown tests.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();
    private bool _disposed;

    public int Port { get; private set; }
    public string DataDirectory { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;
    /// <summary>The operator HTTP port (the default: client port + 2000).</summary>
    public string HttpUrl => $"http://127.0.0.1:{Port + 2000}";
    public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }

    private ServerProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public static async Task<ServerProcess> StartAsync(string dataDirectory, params string[] extraArgs)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fastchat-server.dll"));
        if (Environment.GetEnvironmentVariable("FASTCHAT_DUMP_LOGS") is not null) // timestamps, to line up the nodes' logs
        {
            info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
            info.Environment["Logging__LogLevel__FastChat.Server.Cluster"] = "Debug"; // routing decisions, for replaying a failure
        }
        foreach (var arg in new[] { "--FastChat:Port=0", "--FastChat:ListenAddress=127.0.0.1", $"--FastChat:DataDirectory={dataDirectory}", "--FastChat:OpenRegistration=true" }.Concat(extraArgs))
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var server = new ServerProcess(process, dataDirectory);
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (server._output) server._output.Add(line);
            var match = ListeningRegex().Match(line);
            if (match.Success) listening.TrySetResult(int.Parse(match.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != listening.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("server did not start:\n" + string.Join('\n', server.Output));
        }
        server.Port = listening.Task.Result;
        return server;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host's graceful shutdown.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return; // a cluster disposes a node a restart left behind: let the restart's own error show
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: \S+:(\d+)")]
    private static partial Regex ListeningRegex();
}
