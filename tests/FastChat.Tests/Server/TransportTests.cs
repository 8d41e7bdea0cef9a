using System.Security.Cryptography;
using FastChat.Server.Transport;
using FastChat.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Tests.Server;

/// <summary>Both transports under the same real traffic: the epoll transport (the default on Linux) and Kestrel's sockets.</summary>
public class TransportTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Large_and_small_messages_cross_intact_in_order(string transport)
    {
        await using var server = await TestServer.StartAsync(o => o.Transport = transport);
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");

        // Sizes around the reader's 8 KiB first buffer and up to the payload limit: partial
        // reads, buffer growth and sends the kernel takes in pieces.
        int[] sizes = [1, 100, 8_000, 8_192, 8_300, 20_000, 64_000, 5, 64_000, 64_000, 63_999, 10];
        var payloads = sizes.Select(size => RandomNumberGenerator.GetBytes(size)).ToArray();
        var sends = payloads.Select(p => alice.Client.SendAsync("bob", p)).ToArray();
        await Task.WhenAll(sends);

        var received = await bob.WaitForMessagesAsync(payloads.Length);
        for (int i = 0; i < payloads.Length; i++) Assert.Equal(payloads[i], received[i].Payload);
    }

    [Fact]
    public async Task The_epoll_transport_is_the_one_Kestrel_binds_with_by_default()
    {
        await using var server = await TestServer.StartAsync();
        Assert.IsType<EpollTransportFactory>(server.Services.GetServices<IConnectionListenerFactory>().Last());
    }

    [Fact]
    public async Task Waiting_for_a_connection_holds_no_thread()
    {
        // A blocking accept would keep a thread-pool thread per listener: on a 2-core machine the
        // client and operator listeners held both minimum workers and every ✓ waited for the pool to grow.
        using var factory = new EpollTransportFactory(new EpollTransportOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await using var listener = await factory.BindAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var call = Task.Run(() => listener.AcceptAsync());
        var pending = await call.WaitAsync(TimeSpan.FromSeconds(10)); // the call itself returns: nobody is connecting
        Assert.False(pending.IsCompleted);

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint);
        await using var accepted = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // and a connection still completes it
        Assert.NotNull(accepted);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Hundreds_of_connections_at_once_are_all_accepted_and_served(int eventLoops)
    {
        // With several loops, neighbours usually live on different loops: delivery crosses them.
        await using var server = await TestServer.StartAsync(o => o.EventLoops = eventLoops);
        var clients = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => TestClient.ConnectAsync(server.Port, $"crowd{i}")));
        try
        {
            // Every one of them can still be reached: a message to each, from its neighbour.
            await Task.WhenAll(clients.Select((c, i) => c.Client.SendAsync($"crowd{(i + 1) % clients.Length}", new byte[] { (byte)i })));
            for (int i = 0; i < clients.Length; i++)
            {
                var got = await clients[i].WaitForMessagesAsync(1);
                Assert.Equal((byte)((i + clients.Length - 1) % clients.Length), got[0].Payload[0]);
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }
}
