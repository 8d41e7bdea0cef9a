using System.Text;
using FastChat.Client;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>Acknowledged means durable: a real server process killed with SIGKILL loses nothing it acked.</summary>
public class DurabilityTests
{
    [Fact]
    public async Task Kill_minus_nine_loses_no_acknowledged_message()
    {
        using var data = new TempDirectory();
        var bobKey = TestClient.NewKey();
        var aliceKey = TestClient.NewKey();
        const int count = 300;
        var acked = new List<ulong>();
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await (await TestClient.ConnectAsync(server.Port, "bob", bobKey)).DisposeAsync();
            var alice = await TestClient.ConnectAsync(server.Port, "alice", aliceKey);
            var sends = Enumerable.Range(0, count).Select(i => alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"msg {i}"))).ToArray();
            foreach (var send in sends) acked.Add(await send.WaitAsync(TimeSpan.FromSeconds(20)));
            await server.KillAsync(); // no graceful shutdown, no final commit
            await alice.DisposeAsync();
        }

        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
            var received = await bob.WaitForMessagesAsync(count, TimeSpan.FromSeconds(20));
            Assert.Equal(acked, received.Select(m => m.MessageId));
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"msg {i}"), received.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
    }

    /// <summary>
    /// The fast path: bob is online, so most messages are delivered and acknowledged before the
    /// group commit and never reach the log. Killed with SIGKILL three times under traffic, at
    /// whatever step each message is in, the server still loses nothing it acknowledged, and bob's
    /// SDK displays every message once, in order (redeliveries of what was not yet durable are
    /// deduplicated by id, as the spec says).
    /// </summary>
    [Fact]
    public async Task Kill_minus_nine_under_live_traffic_loses_nothing_acknowledged_and_displays_nothing_twice()
    {
        using var data = new TempDirectory();
        var bobKey = TestClient.NewKey();
        var aliceKey = TestClient.NewKey();
        const int rounds = 3, perRound = 150;
        var server = await ServerProcess.StartAsync(data);
        int port = server.Port;
        var extra = new[] { $"--FastChat:Port={port}" };
        try
        {
            await using var bob = await TestClient.ConnectAsync(port, "bob", bobKey);
            await using var alice = await TestClient.ConnectAsync(port, "alice", aliceKey);
            var sends = new List<Task<ulong>>();
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < perRound; i++)
                    sends.Add(alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"msg {round * perRound + i}")));
                // Kill once some of this round is acknowledged and bob has seen some of it: messages are then
                // at every step (in flight, delivered, acknowledged by bob, committed or not).
                int target = round * perRound + perRound / 3;
                await Eventually.TrueAsync(() => sends.Count(t => t.IsCompletedSuccessfully) >= target && bob.Messages.Count >= target, TimeSpan.FromSeconds(30));
                await server.KillAsync();
                await server.DisposeAsync();
                server = await ServerProcess.StartAsync(data, extra);
            }
            var ids = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
            var received = await bob.WaitForMessagesAsync(ids.Length, TimeSpan.FromSeconds(30));
            Assert.Equal(ids, received.Select(m => m.MessageId));
            Assert.Equal(Enumerable.Range(0, rounds * perRound).Select(i => $"msg {i}"), received.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact]
    public async Task Messages_delivered_and_acked_are_removed_from_the_server()
    {
        using var data = new TempDirectory();
        var bobKey = TestClient.NewKey();
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
            for (int i = 0; i < 20; i++) await alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"m{i}"));
            await bob.WaitForMessagesAsync(20);
            // The delivered receipt to alice proves bob's ack was processed.
            await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == ReceiptKind.Delivered));
            // A ✓ is a commit covering every write before it, bob's deletions included.
            await alice.Client.SendAsync("alice", "barrier"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            await server.KillAsync();
        }
        await using (var server = await ServerProcess.StartAsync(data))
        {
            var bob = TestClient.Create(server.Port, "bob", bobKey);
            var welcome = await bob.Client.ConnectAsync();
            Assert.Equal(0, welcome.Queued);
            // One queue, in order: anything left from before would arrive ahead of this.
            await bob.Client.SendAsync("bob", "after"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
            var got = await bob.WaitForMessagesAsync(1);
            Assert.Equal(["after"], got.Select(m => Encoding.UTF8.GetString(m.Payload)));
            await bob.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sigterm_shuts_down_gracefully_and_tells_clients()
    {
        using var data = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(data);
        var alice = await TestClient.ConnectAsync(server.Port, "alice");
        var reasons = new List<ErrorCode>();
        alice.Client.Disconnected += (code, _) => { lock (reasons) reasons.Add(code); };
        int exit = await server.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, exit);
        await Eventually.TrueAsync(() => { lock (reasons) return reasons.Contains(ErrorCode.ServerShutdown); });
        await alice.DisposeAsync();
    }
}
