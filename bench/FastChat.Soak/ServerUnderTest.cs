using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace FastChat.Soak;

/// <summary>The server being measured: spawned from the build output on a fresh data directory, or an existing process.</summary>
internal sealed partial class ServerUnderTest : IDisposable
{
    private Process? _spawned;
    private readonly string? _dataDirectory;
    private readonly IEnumerable<string> _extraArgs = [];
    private readonly IReadOnlyDictionary<string, string>? _environment;

    public string Host { get; }
    public int Port { get; private set; }
    public int Pid { get; private set; }
    public bool Spawned => _spawned is not null;
    public IPEndPoint EndPoint => new(IPAddress.Parse(Host), Port); // Port changes when a spawned server restarts

    private ServerUnderTest(string host, int port, int pid, Process? spawned, string? dataDirectory,
        IEnumerable<string>? extraArgs = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        Host = host; Port = port; Pid = pid; _spawned = spawned; _dataDirectory = dataDirectory;
        _extraArgs = extraArgs ?? []; _environment = environment;
    }

    public static ServerUnderTest Attach(string hostPort, int pid)
    {
        int colon = hostPort.LastIndexOf(':');
        return new ServerUnderTest(hostPort[..colon], int.Parse(hostPort[(colon + 1)..]), pid, null, null);
    }

    public static async Task<ServerUnderTest> SpawnAsync(IEnumerable<string> extraArgs, IReadOnlyDictionary<string, string>? environment = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "fastchat-soak", Guid.NewGuid().ToString("N"));
        var (process, port) = await StartAsync(data, extraArgs, environment);
        return new ServerUnderTest("127.0.0.1", port, process.Id, process, data, extraArgs, environment);
    }

    /// <summary>Stops the spawned server gracefully (SIGTERM) and starts it again on the same data: a fresh process with the same accounts.</summary>
    public async Task RestartAsync()
    {
        var old = _spawned ?? throw new InvalidOperationException("only a spawned server can be restarted");
        using (var term = Process.Start("kill", ["-TERM", old.Id.ToString()])) await term.WaitForExitAsync();
        if (!old.WaitForExit(30_000)) old.Kill(true);
        old.Dispose();
        var (process, port) = await StartAsync(_dataDirectory!, _extraArgs, _environment);
        (_spawned, Port, Pid) = (process, port, process.Id);
    }

    private static async Task<(Process Process, int Port)> StartAsync(string data, IEnumerable<string> extraArgs, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fastchat-server.dll"));
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        foreach (var arg in new[] { "--FastChat:Port=0", "--FastChat:ListenAddress=127.0.0.1", $"--FastChat:DataDirectory={data}",
                     "--FastChat:OpenRegistration=true", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
                     // One harness connection can stand for many clients (offline mode's single sender).
                     "--FastChat:MaxFramesPerSecond=10000000", "--FastChat:FrameBurst=10000000" }.Concat(extraArgs))
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var match = Listening().Match(e.Data);
            if (match.Success) port.TrySetResult(int.Parse(match.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(port.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        if (started != port.Task) { process.Kill(true); throw new InvalidOperationException("server did not start"); }
        return (process, port.Task.Result);
    }

    public void Dispose()
    {
        if (_spawned is { HasExited: false }) { _spawned.Kill(true); _spawned.WaitForExit(); }
        if (_dataDirectory is not null) try { Directory.Delete(_dataDirectory, true); } catch (IOException) { }
    }

    [GeneratedRegex(@"Now listening on: \S+:(\d+)")]
    private static partial Regex Listening();
}
