using System.Diagnostics;

namespace FastChat.Tests.Infrastructure;

/// <summary>A real etcd (the Debian etcd-server package) on loopback, in its own data directory, for the cluster tests.</summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private Process? _process;
    private readonly List<string> _output = new();

    public int ClientPort { get; } = FreePorts.Next();
    private int PeerPort { get; } = FreePorts.Next();
    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    public static async Task<EtcdServer> StartAsync()
    {
        var etcd = new EtcdServer();
        await etcd.RunAsync();
        return etcd;
    }

    private async Task RunAsync()
    {
        var info = new ProcessStartInfo("etcd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "--name", "test", "--data-dir", _directory.Path,
            "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", $"http://127.0.0.1:{PeerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{PeerPort}",
            "--initial-cluster", $"test=http://127.0.0.1:{PeerPort}",
        }) info.ArgumentList.Add(arg);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = Process.Start(info) ?? throw new InvalidOperationException("etcd did not start (apt-get install -y etcd-server)");
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (_output) _output.Add(line);
            if (line.Contains("ready to serve client requests", StringComparison.Ordinal)) ready.TrySetResult();
        }
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var first = await Task.WhenAny(ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != ready.Task) throw new InvalidOperationException("etcd did not become ready:\n" + string.Join('\n', _output));
    }

    /// <summary>Stops etcd (SIGKILL) and starts it again on the same data and ports.</summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        await StopAsync();
        if (whileDown is not null) await whileDown();
        await RunAsync();
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }
}

/// <summary>Distinct loopback ports for processes that must be told their port in advance (cluster members publish theirs).</summary>
public static class FreePorts
{
    private static int s_next = 20000 + Random.Shared.Next(0, 20000);

    public static int Next()
    {
        while (true)
        {
            int port = Interlocked.Increment(ref s_next);
            if (port > 60000) Interlocked.Exchange(ref s_next, 20000);
            // Both the port and port + 1000 (a node's default peer port) must be free now.
            if (IsFree(port) && IsFree(port + 1000) && IsFree(port + 2000) && IsFree(port + 3000)) return port; // client, peer, HTTP and media ports
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }
}
