using FastChat.Protocol.Wire;
using FastChat.Server.Cluster.Handoff;
using FastChat.Server.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Hosting;

/// <summary>
/// Graceful shutdown, before any service stops: a cluster node first leaves (its partitions are
/// handed to the others and their users redirected there, while it still accepts connections and
/// redirects late logins); then new connections are refused at the preamble and every open one
/// gets DISCONNECT(server_shutdown) after its pending frames. Kestrel then waits for the handlers
/// to finish; the final group commit runs when the store's services are disposed.
/// </summary>
internal sealed class ShutdownCoordinator(ServerContext server, ILogger<ShutdownCoordinator> logger, OwnershipWorker? ownership = null)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (ownership is not null) await ownership.LeaveAsync(cancellationToken).ConfigureAwait(false);
        server.ShuttingDown = true;
        int count = 0;
        foreach (var connection in server.Registry.All)
        {
            connection.Close(ErrorCode.ServerShutdown, "server shutting down");
            count++;
        }
        logger.LogInformation("Shutting down: closing {Count} connections.", count);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
