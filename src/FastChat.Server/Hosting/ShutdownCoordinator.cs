using FastChat.Protocol.Wire;
using FastChat.Server.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Hosting;

/// <summary>
/// Graceful shutdown: when the host begins stopping, new connections are refused at the
/// preamble and every open one gets DISCONNECT(server_shutdown) after its pending frames.
/// Kestrel then waits for the handlers to finish; the final group commit runs when the store's
/// services are disposed, after the last connection is gone.
/// </summary>
internal sealed class ShutdownCoordinator(ServerContext server, IHostApplicationLifetime lifetime, ILogger<ShutdownCoordinator> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            server.ShuttingDown = true;
            int count = 0;
            foreach (var connection in server.Registry.All)
            {
                connection.Close(ErrorCode.ServerShutdown, "server shutting down");
                count++;
            }
            logger.LogInformation("Shutting down: closing {Count} connections.", count);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
