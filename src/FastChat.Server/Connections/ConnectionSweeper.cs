using FastChat.Protocol.Wire;
using FastChat.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FastChat.Server.Connections;

/// <summary>
/// One timer for every connection (no per-connection timers): handshake timeout, keepalive
/// PING after quiet, and the idle timeout.
/// </summary>
internal sealed class ConnectionSweeper(ConnectionRegistry registry, IOptions<FastChatOptions> options, ServerContext server) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        long handshakeMs = o.HandshakeTimeoutSeconds * 1000L;
        long keepaliveMs = o.KeepaliveSeconds * 1000L;
        long idleMs = o.IdleTimeoutSeconds * 1000L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(1000, keepaliveMs / 2)), server.Clock.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                long now = server.Clock.NowTicks;
                foreach (var connection in registry.All)
                {
                    switch (connection.State)
                    {
                        case ConnectionState.Handshaking when now - connection.OpenedTicks > handshakeMs:
                            connection.Abort("handshake timeout");
                            break;
                        case ConnectionState.Registering or ConnectionState.Authenticated when !connection.ServerWorking:
                            long quiet = now - connection.LastReceiveTicks;
                            if (quiet > idleMs) connection.Close(ErrorCode.IdleTimeout, "no traffic within the idle timeout");
                            else if (quiet > keepaliveMs && !connection.PingOutstanding) connection.SendPing();
                            break;
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
