using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FastChat.Tests.Server;

/// <summary>
/// Timeouts and expiry on a fake clock: a real server and real TCP, but time moves only when the
/// test says, so each rule is checked at its boundary instead of by waiting it out.
/// </summary>
public class FakeTimeTests
{
    private static void Configure(FastChat.Server.Hosting.FastChatOptions o)
    {
        o.HandshakeTimeoutSeconds = 10;
        o.KeepaliveSeconds = 30;
        o.IdleTimeoutSeconds = 90;
    }

    private static byte[] Frame(FrameType type, ulong value)
    {
        var frame = new byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(frame, type, value);
        return frame;
    }

    [Fact]
    public async Task A_handshake_not_finished_in_time_is_cut_off()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(Configure, time: time);
        await using var raw = await RawConnection.OpenAsync(server.Port);
        await raw.ExchangePreambleAsync(); // then nothing: no message 1
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_quiet_client_is_pinged_and_answering_keeps_it_while_silence_past_the_idle_timeout_ends_it()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(Configure, time: time);
        await using var raw = await RawConnection.RegisteredAsync(server.Port, "quiet");
        // WELCOME is written before the server has finished the login request: a round trip makes
        // sure its receive clock is settled before fake time moves, or the tick could miss the PING.
        await raw.WriteRecordAsync(Frame(FrameType.Ping, 4));
        await raw.ReadUntilAsync(FrameType.Pong);

        for (int round = 0; round < 3; round++)
        {
            // Past the keepalive: PING. Answering it is traffic, so the idle clock starts again.
            time.Advance(TimeSpan.FromSeconds(31));
            var ping = await raw.ReadUntilAsync(FrameType.Ping);
            Assert.True(MessageFrames.TryParseU64(ping, out ulong token));
            await raw.WriteRecordAsync(Frame(FrameType.Pong, token));
            await raw.WriteRecordAsync(Frame(FrameType.Ping, 5)); // and wait until the server has read it
            await raw.ReadUntilAsync(FrameType.Pong);
        }
        // 3 × 31 s = 93 s since login, more than the idle timeout: only the answers kept it open.

        time.Advance(TimeSpan.FromSeconds(31));
        await raw.ReadUntilAsync(FrameType.Ping); // not answered this time
        time.Advance(TimeSpan.FromSeconds(60));   // 91 s of silence
        var disconnect = await raw.ReadUntilClosedAsync();
        Assert.Equal(ErrorCode.IdleTimeout, disconnect?.Code);
    }

    [Fact]
    public async Task An_entry_older_than_the_ttl_is_dropped_and_a_fresh_one_still_arrives()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(o => { Configure(o); o.OfflineTtlDays = 1; }, time: time);
        var bobKey = TestClient.NewKey();
        await (await TestClient.ConnectAsync(server.Port, "bob", bobKey)).DisposeAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await alice.Client.SendAsync("bob", "stale"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromHours(23));
        await alice.Client.SendAsync("bob", "fresh"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromHours(2)); // "stale" is 25 h old, "fresh" 2 h

        await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
        await alice.Client.SendAsync("bob", "live"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        var got = await bob.WaitForMessagesAsync(2);
        Assert.Equal(["fresh", "live"], got.Select(m => Encoding.UTF8.GetString(m.Payload)));
    }

    [Fact]
    public async Task A_device_waiting_to_be_linked_is_let_go_after_the_link_timeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(o => { Configure(o); o.LinkTimeout = TimeSpan.FromSeconds(60); }, time: time);
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var waiting = TestClient.Create(server.Port, "alice", configure: o => o.LinkIdentityKey = new SignalDevice().IdentityKey);
        var ended = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.Client.Disconnected += (code, _) => ended.TrySetResult(code);
        Assert.Equal(WelcomeState.LinkPending, (await waiting.Client.ConnectAsync()).State);
        Assert.Single(await alice.Client.QueryLinkRequestsAsync());

        time.Advance(TimeSpan.FromSeconds(59));
        await Task.Yield();
        Assert.False(ended.Task.IsCompleted);
        Assert.Single(await alice.Client.QueryLinkRequestsAsync());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ErrorCode.AuthFailed, await ended.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.TrueAsync(() => alice.Client.QueryLinkRequestsAsync().GetAwaiter().GetResult().Count == 0);
    }
}
