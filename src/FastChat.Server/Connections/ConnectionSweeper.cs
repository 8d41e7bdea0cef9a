using FastChat.Protocol.Wire;
using Microsoft.Extensions.Hosting;

namespace FastChat.Server.Connections;

/// <summary>
/// One timer for every connection (no per-connection timers): handshake timeout, keepalive
/// PING after quiet, and the idle timeout.
/// </summary>
internal sealed class ConnectionSweeper(ConnectionRegistry registry, ServerContext server) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = server.Options;
        long handshakeMs = (long)o.HandshakeTimeout.TotalMilliseconds;
        long keepaliveMs = (long)o.Keepalive.TotalMilliseconds;
        long idleMs = (long)o.IdleTimeout.TotalMilliseconds;
        long linkMs = (long)server.DeviceOptions.LinkTimeout.TotalMilliseconds;
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
                        case ConnectionState.Linking when now - connection.OpenedTicks > linkMs:
                            connection.Close(ErrorCode.AuthFailed, "this device was not linked in time; show a new link code");
                            break;
                        case ConnectionState.Registering or ConnectionState.Authenticated or ConnectionState.Linking when !connection.ServerWorking:
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
