using System.Text;
using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

public class ConnectionTests
{
    [Fact]
    public async Task Silent_connection_is_dropped_at_the_handshake_timeout()
    {
        await using var server = await TestServer.StartAsync(o => o.HandshakeTimeoutSeconds = 1);
        await using var raw = await RawConnection.OpenAsync(server.Port);
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Server_pings_a_quiet_client_and_closes_it_at_the_idle_timeout()
    {
        await using var server = await TestServer.StartAsync(o => { o.KeepaliveSeconds = 1; o.IdleTimeoutSeconds = 3; });
        var (raw, _) = await RawConnection.HandshakeAsync(server.Port, "sleepy", TestClient.NewKey());
        await using var __ = raw;
        var seen = new List<(byte Type, byte[] Body)>();
        await raw.ReadUntilAsync(FrameType.Ping, seen);
        Assert.Equal(ErrorCode.IdleTimeout, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task A_new_login_replaces_the_old_connection()
    {
        await using var server = await TestServer.StartAsync();
        var key = TestClient.NewKey();
        await using var first = await TestClient.ConnectAsync(server.Port, "alice", key);
        var reasons = new List<ErrorCode>();
        first.Client.Disconnected += (code, _) => { lock (reasons) reasons.Add(code); };
        await using var second = await TestClient.ConnectAsync(server.Port, "alice", key);
        await Eventually.TrueAsync(() => { lock (reasons) return reasons.Contains(ErrorCode.Replaced); });

        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await bob.Client.SendAsync("alice", "to the new one"u8.ToArray());
        await bob.Client.SendAsync("alice", "and again"u8.ToArray());
        await second.WaitForMessagesAsync(2);
        Assert.Empty(first.Messages);
    }

    [Fact]
    public async Task A_reader_that_never_acks_gets_at_most_the_window_and_the_rest_waits_durably()
    {
        await using var server = await TestServer.StartAsync(o => { o.DeliveryWindow = 32; });
        var bobKey = TestClient.NewKey();
        await (await TestClient.ConnectAsync(server.Port, "bob", bobKey)).DisposeAsync();
        // bob as a raw client that reads but never acknowledges
        var (raw, first) = await RawConnection.HandshakeAsync(server.Port, "bob", bobKey);
        await using (raw)
        {
            Assert.Equal((byte)FrameType.Welcome, first.Type);
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
            var payload = new byte[1000];
            var sends = Enumerable.Range(0, 300).Select(_ => alice.Client.SendAsync("bob", payload)).ToArray();
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20)); // all durable (✓) although bob is stuck

            int delivered = 0;
            try
            {
                while (true)
                {
                    var frames = await raw.ReadFramesAsync().WaitAsync(TimeSpan.FromSeconds(1));
                    delivered += frames.Count(f => f.Type == (byte)FrameType.Deliver);
                }
            }
            catch (TimeoutException) { }
            Assert.Equal(32, delivered);
        }
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
        var all = await bob.WaitForMessagesAsync(300, TimeSpan.FromSeconds(20));
        Assert.Equal(300, all.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task Retried_message_id_is_delivered_once_and_acked_again()
    {
        await using var server = await TestServer.StartAsync();
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await using var raw = await AuthenticatedRaw(server.Port, "alice");
        var send = new byte[64];
        int n = MessageFrames.WriteSend(send, 77, "bob"u8, "once"u8);
        await raw.WriteRecordAsync(send[..n]);
        Assert.True(MessageFrames.TryParseU64(await raw.ReadUntilAsync(FrameType.ServerAck), out ulong ack1) && ack1 == 77);
        await raw.WriteRecordAsync(send[..n]); // the retry after a lost ack
        Assert.True(MessageFrames.TryParseU64(await raw.ReadUntilAsync(FrameType.ServerAck), out ulong ack2) && ack2 == 77);
        n = MessageFrames.WriteSend(send, 78, "bob"u8, "next"u8);
        await raw.WriteRecordAsync(send[..n]);
        // One queue, in order: a duplicate of 77 would stand between the two.
        var got = await bob.WaitForMessagesAsync(2);
        Assert.Equal([(77UL, "once"), (78UL, "next")], got.Select(m => (m.MessageId, System.Text.Encoding.UTF8.GetString(m.Payload))));
    }

    [Fact]
    public async Task A_refused_id_retried_after_a_later_accepted_one_gets_its_error_again_not_an_ack()
    {
        await using var server = await TestServer.StartAsync();
        await (await TestClient.ConnectAsync(server.Port, "bob")).DisposeAsync();
        var key = TestClient.NewKey();
        await (await TestClient.ConnectAsync(server.Port, "alice", key)).DisposeAsync();
        var send = new byte[64];
        var (first, _) = await RawConnection.HandshakeAsync(server.Port, "alice", key);
        await using (first)
        {
            int n = MessageFrames.WriteSend(send, 5, "nobody"u8, "lost?"u8);
            await first.WriteRecordAsync(send[..n]);
            await first.ReadUntilAsync(FrameType.Error);
            n = MessageFrames.WriteSend(send, 6, "bob"u8, "fine"u8);
            await first.WriteRecordAsync(send[..n]);
            await first.ReadUntilAsync(FrameType.ServerAck);
        }
        // A client that never saw the ERROR resends id 5 on a new connection.
        var (second, _) = await RawConnection.HandshakeAsync(server.Port, "alice", key);
        await using (second)
        {
            int n = MessageFrames.WriteSend(send, 5, "nobody"u8, "lost?"u8);
            await second.WriteRecordAsync(send[..n]);
            var seen = new List<(byte Type, byte[] Body)>();
            Assert.True(ErrorBody.TryParse(await second.ReadUntilAsync(FrameType.Error, seen), out var error));
            Assert.Equal(5UL, error.RefId);
            Assert.Equal(ErrorCode.UnknownRecipient, error.Code);
            Assert.DoesNotContain(seen, f => f.Type == (byte)FrameType.ServerAck); // the ERROR comes before any ack covering 5
        }
    }

    [Fact]
    public async Task Client_resends_unacked_messages_after_a_server_restart()
    {
        using var data = new TempDirectory();
        var bobKey = TestClient.NewKey();
        var aliceKey = TestClient.NewKey();
        int port;
        await using (var server = await ServerProcess.StartAsync(data))
        {
            port = server.Port;
            await (await TestClient.ConnectAsync(port, "bob", bobKey)).DisposeAsync();
            await (await TestClient.ConnectAsync(port, "alice", aliceKey)).DisposeAsync();
            await server.KillAsync();
        }
        // alice queues messages while no server is up; the SDK sends them once it can connect.
        var alice = TestClient.Create(port, "alice", aliceKey);
        var pending = Enumerable.Range(0, 5).Select(i => alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"p{i}"))).ToArray();
        await using (var server = await ServerProcess.StartAsync(data, $"--FastChat:Port={port}"))
        {
            await alice.Client.ConnectAsync();
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10));
            await using var bob = await TestClient.ConnectAsync(port, "bob", bobKey);
            var got = await bob.WaitForMessagesAsync(5);
            Assert.Equal(["p0", "p1", "p2", "p3", "p4"], got.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
        await alice.DisposeAsync();
    }

    [Fact]
    public async Task Registration_needs_the_one_time_code()
    {
        await using var server = await TestServer.StartAsync(o => o.OpenRegistration = false);
        var carol = TestClient.Create(server.Port, "carol");
        Assert.Equal(WelcomeState.RegistrationRequired, (await carol.Client.ConnectAsync()).State);
        Assert.Equal(RegisterStatus.CodeSent, (await carol.Client.RequestCodeAsync()).Status);
        var wrong = await carol.Client.RegisterAsync("00000000");
        Assert.Equal(RegisterStatus.BadCode, wrong.Status);
        // The admin path: the same code derived from the data directory's secret.
        var code = new RegistrationCodes(server.DataDirectory, TimeProvider.System).Issue("carol");
        Assert.Equal(RegisterStatus.Registered, (await carol.Client.RegisterAsync(code)).Status);
        Assert.True(carol.Client.IsConnected);
        await carol.DisposeAsync();

        // Next time the key alone logs in.
        var again = TestClient.Create(server.Port, "carol", carol.PrivateKey);
        Assert.Equal(WelcomeState.Authenticated, (await again.Client.ConnectAsync()).State);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task Too_many_wrong_codes_close_the_connection()
    {
        await using var server = await TestServer.StartAsync(o => { o.OpenRegistration = false; o.RegistrationAttempts = 2; });
        var dave = TestClient.Create(server.Port, "dave");
        var reasons = new List<ErrorCode>();
        dave.Client.Disconnected += (code, _) => { lock (reasons) reasons.Add(code); };
        await dave.Client.ConnectAsync();
        await dave.Client.RegisterAsync("11111111");
        await dave.Client.RegisterAsync("22222222");
        await Eventually.TrueAsync(() => { lock (reasons) return reasons.Contains(ErrorCode.RegistrationFailed); });
        await dave.DisposeAsync();
    }

    [Fact]
    public async Task Full_queue_is_reported_to_the_sender()
    {
        await using var server = await TestServer.StartAsync(o => o.QueueQuota = 5);
        await (await TestClient.ConnectAsync(server.Port, "bob")).DisposeAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        for (int i = 0; i < 5; i++) await alice.Client.SendAsync("bob", "x"u8.ToArray());
        var ex = await Assert.ThrowsAsync<FastChatException>(() => alice.Client.SendAsync("bob", "x"u8.ToArray()));
        Assert.Equal(ErrorCode.QueueFull, ex.Code);
    }

    private static async Task<RawConnection> AuthenticatedRaw(int port, string user)
    {
        var (raw, _) = await RawConnection.HandshakeAsync(port, user, TestClient.NewKey());
        await raw.WriteRecordAsync(RawConnection.Frame(FrameType.Register, Convert.FromHexString("91C0")));
        await raw.ReadUntilAsync(FrameType.Welcome);
        return raw;
    }
}
