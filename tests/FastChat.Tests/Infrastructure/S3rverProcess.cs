using System.Diagnostics;
using System.Net.Sockets;

namespace FastChat.Tests.Infrastructure;

/// <summary>
/// s3rver 3.7.1 (npm, in tests/interop-node): an S3-compatible server on loopback with its data in
/// a temp directory — a stand-in for S3 that speaks the same HTTP API, not S3 itself.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _data;

    public string ServiceUrl { get; }

    private S3rverProcess(Process process, TempDirectory data, string url) => (_process, _data, ServiceUrl) = (process, data, url);

    public static async Task<S3rverProcess> StartAsync()
    {
        await LibsignalParty.EnsureInstalledAsync();
        var data = new TempDirectory();
        int port = FreePorts.Next();
        var info = new ProcessStartInfo("node", [Path.Combine("node_modules", "s3rver", "bin", "s3rver.js"), "-d", data.Path, "-a", "127.0.0.1", "-p", port.ToString(), "--silent"])
        {
            WorkingDirectory = LibsignalParty.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(info)!;
        var server = new S3rverProcess(process, data, $"http://127.0.0.1:{port}");
        await Eventually.TrueAsync(() => process.HasExited || Listening(port), TimeSpan.FromSeconds(30), because: "s3rver did not start listening");
        if (process.HasExited) throw new InvalidOperationException("s3rver exited: " + await process.StandardError.ReadToEndAsync());
        return server;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
        _data.Dispose();
    }
}
