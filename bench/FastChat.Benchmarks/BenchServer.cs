using FastChat.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace FastChat.Benchmarks;

/// <summary>
/// A real FastChat host (store, delivery, routing) on a fresh temp data directory, never started:
/// benchmarks drive its services directly. Disposing it removes the directory.
/// </summary>
internal sealed class BenchServer : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "fastchat-bench", Guid.NewGuid().ToString("N"));

    public BenchServer(Action<FastChatOptions> configure)
    {
        App = FastChatHost.Build(["--Logging:LogLevel:Default=" + (Environment.GetEnvironmentVariable("BENCH_LOG") ?? "Warning")], o =>
        {
            o.DataDirectory = _dataDirectory;
            o.Port = 0;
            o.ListenAddress = "127.0.0.1";
            // A small log buffer reaches steady state (pages recycled, not allocated) during warm-up.
            o.StoreMemoryMegabytes = 16;
            configure(o);
        });
    }

    public WebApplication App { get; }

    public string DataDirectory => _dataDirectory;

    public void Dispose()
    {
        App.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
