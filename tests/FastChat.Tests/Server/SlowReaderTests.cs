using System.Security.Cryptography;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>A recipient that stops reading: the server's sends block (EAGAIN), it waits for the socket, and resumes intact.</summary>
/// <remarks>Megabytes through the store and the cipher: run alone, not beside the timing-sensitive tests.</remarks>
[Collection(HeavyTests.Name)]
public class SlowReaderTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task A_reader_that_pauses_gets_everything_intact_once_it_reads_again(string transport)
    {
        // A window far larger than the kernel buffers, so the server is pushing into a full socket.
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Transport = transport;
            o.DeliveryWindow = 1000;
            o.DeliveryWindowBytes = 32 * 1024 * 1024;
            o.MaxOutboundBytes = 64 * 1024 * 1024;
        });
        var (carol, first) = await RawConnection.HandshakeAsync(server.Port, "carol", TestClient.NewKey(), receiveBuffer: 4096);
        await using var _ = carol;
        Assert.Equal((byte)FrameType.Welcome, first.Type);
        await carol.WriteRecordAsync(RawConnection.Frame(FrameType.Register, Convert.FromHexString("91C0")));
        await carol.ReadUntilAsync(FrameType.Welcome);

        // 100 × 64 KB = 6.4 MB while carol reads nothing: more than her 4 KiB receive buffer and
        // the server's send buffer (at most tcp_wmem's 4 MiB) can hold.
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        var payloads = Enumerable.Range(0, 100).Select(_ => RandomNumberGenerator.GetBytes(64_000)).ToArray();
        await Task.WhenAll(payloads.Select(p => alice.Client.SendAsync("carol", p))).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(500); // the server keeps pushing into the full socket meanwhile

        int next = 0;
        while (next < payloads.Length)
        {
            foreach (var (type, body) in await carol.ReadFramesAsync())
            {
                if (type != (byte)FrameType.Deliver) continue;
                Assert.True(MessageFrames.TryParseDeliver(body, out var deliver));
                Assert.Equal(payloads[next], deliver.Payload.ToArray());
                next++;
            }
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyTests
{
    public const string Name = "heavy, run alone";
}
