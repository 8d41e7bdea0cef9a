using FastChat.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Tests.Infrastructure;

/// <summary>A real FastChat server in this process: Kestrel on a free loopback port, FASTER in a temp directory.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory? _ownedDirectory;

    public string DataDirectory { get; }
    public int Port { get; }
    public IServiceProvider Services => _app.Services;

    private TestServer(WebApplication app, string dataDirectory, int port, TempDirectory? ownedDirectory)
    {
        _app = app;
        _ownedDirectory = ownedDirectory;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <param name="time">A fake clock for the connections' timeouts (the store's group commit keeps real time).</param>
    /// <param name="configureServices">Replace server services (a router that answers later, say).</param>
    public static async Task<TestServer> StartAsync(Action<FastChatOptions>? configure = null, string? dataDirectory = null, TimeProvider? time = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var owned = dataDirectory is null ? new TempDirectory() : null;
        dataDirectory ??= owned!.Path;
        var app = FastChatHost.Build(["--Logging:LogLevel:Default=Warning"], options =>
        {
            options.ListenAddress = "127.0.0.1";
            options.Port = 0;
            options.DataDirectory = dataDirectory;
            options.OpenRegistration = true;
            configure?.Invoke(options);
        }, services =>
        {
            if (time is not null) services.AddSingleton(time);
            configureServices?.Invoke(services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int port = new Uri(address.Replace("[::]", "localhost")).Port;
        return new TestServer(app, dataDirectory, port, owned);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ownedDirectory?.Dispose(); // a directory the caller passed in is the caller's
    }
}

/// <summary>A fresh directory under the temp folder, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fastchat-tests", Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    public static implicit operator string(TempDirectory directory) => directory.Path;

    public override string ToString() => Path;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { } // a child process that was killed may still be letting go of a file
        catch (UnauthorizedAccessException) { }
    }
}
