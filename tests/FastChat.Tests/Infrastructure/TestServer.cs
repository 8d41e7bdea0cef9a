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

    public string DataDirectory { get; }
    public int Port { get; }
    public IServiceProvider Services => _app.Services;

    private TestServer(WebApplication app, string dataDirectory, int port)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Port = port;
    }

    public static async Task<TestServer> StartAsync(Action<FastChatOptions>? configure = null, string? dataDirectory = null)
    {
        dataDirectory ??= TempDirectory.Create();
        var app = FastChatHost.Build(["--Logging:LogLevel:Default=Warning"], options =>
        {
            options.ListenAddress = "127.0.0.1";
            options.Port = 0;
            options.DataDirectory = dataDirectory;
            options.OpenRegistration = true;
            configure?.Invoke(options);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int port = new Uri(address.Replace("[::]", "localhost")).Port;
        return new TestServer(app, dataDirectory, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class TempDirectory
{
    public static string Create()
    {
        var path = Path.Combine(Path.GetTempPath(), "fastchat-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
