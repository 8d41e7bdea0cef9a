using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>
/// Hostile or broken input over real sockets: each gets a clear error where the channel allows
/// one and closes only that connection; a bystander keeps chatting throughout.
/// </summary>
public class BadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private TestClient _alice = null!;
    private TestClient _bob = null!;
    private int _round;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _alice = await TestClient.ConnectAsync(_server.Port, "alice");
        _bob = await TestClient.ConnectAsync(_server.Port, "bob");
    }

    public async Task DisposeAsync()
    {
        await BystandersStillChat();
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task BystandersStillChat()
    {
        var text = $"still here {_round++}";
        await _alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes(text)).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => _bob.Messages.Any(m => Encoding.UTF8.GetString(m.Payload) == text));
    }

    private Task<RawConnection> AuthenticatedRawAsync(string user) => RawConnection.RegisteredAsync(_server.Port, user);

    [Fact]
    public async Task Garbage_preamble_is_refused_with_a_status()
    {
        await using var raw = await RawConnection.OpenAsync(_server.Port);
        await raw.ExchangePreambleAsync("GET / HT"u8.ToArray());
        Assert.Equal(PreambleStatus.BadPreamble, Preamble.ReadServer(raw.ServerPreamble, out _));
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Unsupported_version_is_refused_with_a_status()
    {
        await using var raw = await RawConnection.OpenAsync(_server.Port);
        var preamble = new byte[8];
        Preamble.WriteClient(preamble, 7, 9);
        await raw.ExchangePreambleAsync(preamble);
        Assert.Equal(PreambleStatus.UnsupportedVersion, Preamble.ReadServer(raw.ServerPreamble, out _));
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Bad_noise_message_closes_the_connection()
    {
        await using var raw = await RawConnection.OpenAsync(_server.Port);
        await raw.ExchangePreambleAsync();
        await raw.WriteRawMessageAsync(new byte[5]); // too short to hold an ephemeral key
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Oversized_handshake_message_closes_the_connection()
    {
        await using var raw = await RawConnection.OpenAsync(_server.Port);
        await raw.ExchangePreambleAsync();
        await raw.WriteRawMessageAsync(new byte[60000]);
        Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Send_before_registration_is_rejected()
    {
        var (raw, first) = await RawConnection.HandshakeAsync(_server.Port, "mallory", TestClient.NewKey());
        await using var _ = raw;
        Assert.True(WelcomeBody.TryParse(first.Body, out var welcome));
        Assert.Equal(WelcomeState.RegistrationRequired, welcome.State);
        var send = new byte[64];
        int n = MessageFrames.WriteSend(send, 1, "bob"u8, "hi"u8);
        await raw.WriteRecordAsync(send[..n]);
        var disconnect = await raw.ReadUntilClosedAsync();
        Assert.Equal(ErrorCode.NotAuthenticated, disconnect?.Code);
    }

    [Fact]
    public async Task Claiming_someone_elses_name_fails_authentication()
    {
        var (raw, first) = await RawConnection.HandshakeAsync(_server.Port, "alice", TestClient.NewKey());
        await using var _ = raw;
        Assert.Equal((byte)FrameType.Disconnect, first.Type);
        Assert.True(DisconnectBody.TryParse(first.Body, out var disconnect));
        Assert.Equal(ErrorCode.AuthFailed, disconnect.Code);
    }

    [Fact]
    public async Task Truncated_frame_is_a_protocol_error()
    {
        await using var raw = await AuthenticatedRawAsync("trunc");
        await raw.WriteRecordAsync([(byte)FrameType.Ping, 0, 0, 8, 1, 2, 3]); // says 8 bytes, has 3
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task Unknown_critical_frame_closes_but_optional_one_is_skipped()
    {
        await using var raw = await AuthenticatedRawAsync("unknown");
        var ping = new byte[12];
        MessageFrames.WriteU64(ping, FrameType.Ping, 42);
        await raw.WriteRecordAsync([.. RawConnection.Frame((FrameType)0x9A, [1, 2, 3]), .. ping]);
        var pong = await raw.ReadUntilAsync(FrameType.Pong);
        Assert.True(MessageFrames.TryParseU64(pong, out ulong token) && token == 42);

        await raw.WriteRecordAsync(RawConnection.Frame((FrameType)0x3F, []));
        Assert.Equal(ErrorCode.UnknownFrame, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task Tampered_record_fails_authentication()
    {
        await using var raw = await AuthenticatedRawAsync("tamper");
        var ping = new byte[12];
        MessageFrames.WriteU64(ping, FrameType.Ping, 1);
        var sealedRecord = raw.Seal(ping);
        sealedRecord[3] ^= 0x40;
        await raw.WriteRawMessageAsync(sealedRecord);
        Assert.Equal(ErrorCode.DecryptFailed, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task Zero_length_record_is_a_protocol_error()
    {
        await using var raw = await AuthenticatedRawAsync("zerolen");
        await raw.WriteRawAsync([0, 0]);
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task Oversized_payload_gets_an_error_and_the_connection_lives()
    {
        await using var raw = await AuthenticatedRawAsync("big");
        var payload = new byte[ProtocolLimits.MaxPayload + 1];
        var send = new byte[MessageFrames.SendLength(3, payload.Length)];
        MessageFrames.WriteSend(send, 5, "bob"u8, payload);
        await raw.WriteRecordAsync(send);
        Assert.True(ErrorBody.TryParse(await raw.ReadUntilAsync(FrameType.Error), out var error));
        Assert.Equal(ErrorCode.PayloadTooLarge, error.Code);
        Assert.Equal(5UL, error.RefId);

        var ping = new byte[12];
        MessageFrames.WriteU64(ping, FrameType.Ping, 7);
        await raw.WriteRecordAsync(ping);
        await raw.ReadUntilAsync(FrameType.Pong);
    }

    [Theory]
    [InlineData("nobody", ErrorCode.UnknownRecipient)]
    [InlineData("Not A Name", ErrorCode.InvalidUserName)]
    public async Task A_recipient_that_cannot_receive_gets_a_non_fatal_error(string recipient, ErrorCode expected)
    {
        await using var raw = await AuthenticatedRawAsync($"lonely{(int)expected}");
        var send = new byte[64];
        int n = MessageFrames.WriteSend(send, 9, Encoding.ASCII.GetBytes(recipient), "hi"u8);
        await raw.WriteRecordAsync(send[..n]);
        Assert.True(ErrorBody.TryParse(await raw.ReadUntilAsync(FrameType.Error), out var error));
        Assert.Equal((expected, 9UL), (error.Code, error.RefId));
        var ping = new byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(ping, FrameType.Ping, 77);
        await raw.WriteRecordAsync(ping);
        await raw.ReadUntilAsync(FrameType.Pong); // the connection lives
    }

    [Fact]
    public async Task Ack_beyond_what_was_delivered_is_a_protocol_error()
    {
        await using var raw = await AuthenticatedRawAsync("acker");
        var ack = new byte[12];
        MessageFrames.WriteU64(ack, FrameType.DeliveryAck, 1000);
        await raw.WriteRecordAsync(ack);
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task Random_garbage_after_the_handshake_never_hurts_the_server()
    {
        var random = new Random(1234);
        for (int i = 0; i < 30; i++)
        {
            await using var raw = await AuthenticatedRawAsync($"fuzz{i}");
            var garbage = new byte[random.Next(1, 300)];
            random.NextBytes(garbage);
            // Half the time valid records with garbage frames inside, half raw garbage bytes.
            if (i % 2 == 0) await raw.WriteRecordAsync(garbage);
            else await raw.WriteRawAsync(garbage);
            var closed = raw.ReadUntilClosedAsync();
            if (await Task.WhenAny(closed, Task.Delay(300)) != closed) continue; // still waiting for more bytes: fine
        }
        await BystandersStillChat();
    }

    [Fact]
    public async Task Frame_flood_is_rate_limited()
    {
        await using var server = await TestServer.StartAsync(o => { o.MaxFramesPerSecond = 100; o.FrameBurst = 200; });
        var (raw, _) = await RawConnection.HandshakeAsync(server.Port, "flooder", TestClient.NewKey());
        await using var __ = raw;
        var ping = new byte[12];
        MessageFrames.WriteU64(ping, FrameType.Ping, 1);
        var record = Enumerable.Repeat(ping, 500).SelectMany(p => p).ToArray();
        await raw.WriteRecordAsync(record);
        Assert.Equal(ErrorCode.RateLimited, (await raw.ReadUntilClosedAsync())?.Code);
    }
}
