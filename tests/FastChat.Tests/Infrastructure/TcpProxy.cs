using System.Net;
using System.Net.Sockets;

namespace FastChat.Tests.Infrastructure;

/// <summary>
/// A TCP relay on loopback that a test can cut silently: while cut it stops reading either way
/// (no FIN, no RST — the kernel buffers fill and TCP backs off, as across a partition); healed,
/// what waited flows on. For a node's connection to one service (its etcd) when nftables cannot
/// tell that node's packets from the others'.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = new();
    private volatile TaskCompletionSource _open = Opened();
    private readonly Task _accepting;

    public TcpProxy(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public void Cut() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Heal() => _open.TrySetResult();

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try { await server.ConnectAsync(_target, _stop.Token); }
                catch (SocketException)
                {
                    // The target is down (etcd restarting): this caller sees a closed connection, as it would without the relay.
                    server.Dispose();
                    client.Dispose();
                    continue;
                }
                lock (_sockets) _sockets.AddRange([client, server]);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                await _open.Task.WaitAsync(_stop.Token);
                int n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                await _open.Task.WaitAsync(_stop.Token); // cut while this read waited: hold what it got
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) { } // either side gone, or the proxy stopped
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        lock (_sockets) foreach (var socket in _sockets) socket.Dispose();
    }
}
