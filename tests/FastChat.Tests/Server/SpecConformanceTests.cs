using System.Text;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>
/// The places where a new implementer, reading protocol-spec/ alone, found the server and the
/// spec disagreeing or the spec silent: each rule as the spec now states it, against the real server.
/// </summary>
public class SpecConformanceTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<RawConnection> AuthenticatedRawAsync(string user) => RawConnection.RegisteredAsync(_server.Port, user);

    [Fact]
    public async Task Register_after_authentication_is_a_protocol_error()
    {
        await using var raw = await AuthenticatedRawAsync("twice");
        await raw.WriteRecordAsync(RawConnection.Frame(FrameType.Register, Convert.FromHexString("91C0")));
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Theory]
    [InlineData(FrameType.ServerAck)]
    [InlineData(FrameType.Deliver)]
    [InlineData(FrameType.Welcome)]
    public async Task A_server_only_frame_from_a_client_is_a_protocol_error(FrameType type)
    {
        await using var raw = await AuthenticatedRawAsync($"srv{(byte)type:x2}");
        await raw.WriteRecordAsync(RawConnection.Frame(type, new byte[8]));
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task A_server_only_frame_while_registering_is_a_protocol_error_but_send_is_not_authenticated()
    {
        var (raw, _) = await RawConnection.HandshakeAsync(_server.Port, "pending1", TestClient.NewKey());
        await using (raw)
        {
            await raw.WriteRecordAsync(RawConnection.Frame(FrameType.RegisterResult, Convert.FromHexString("9200a0")));
            Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
        }
        var (raw2, _) = await RawConnection.HandshakeAsync(_server.Port, "pending2", TestClient.NewKey());
        await using (raw2)
        {
            var ack = new byte[MessageFrames.U64FrameLength];
            MessageFrames.WriteU64(ack, FrameType.DeliveryAck, 0);
            await raw2.WriteRecordAsync(ack);
            Assert.Equal(ErrorCode.NotAuthenticated, (await raw2.ReadUntilClosedAsync())?.Code);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task A_record_too_short_for_its_tag_is_a_protocol_error(int length)
    {
        await using var raw = await AuthenticatedRawAsync($"short{length}");
        await raw.WriteRawMessageAsync(new byte[length]);
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);
    }

    [Fact]
    public async Task A_send_to_oneself_is_delivered_to_oneself_with_its_receipt()
    {
        await using var me = await TestClient.ConnectAsync(_server.Port, "narcissus");
        await me.Client.SendAsync("narcissus", "note to self"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        var message = (await me.WaitForMessagesAsync(1)).Single();
        Assert.Equal(("narcissus", "note to self"), (message.From, Encoding.UTF8.GetString(message.Payload)));
        await Eventually.TrueAsync(() => me.Receipts.Any(r => r.Kind == FastChat.Client.ReceiptKind.Delivered && r.Peer == "narcissus"));
    }

    [Fact]
    public async Task A_read_naming_an_id_never_delivered_is_accepted_and_passed_on_as_the_readers_claim()
    {
        await using var alice = await TestClient.ConnectAsync(_server.Port, "claimant");
        await using var raw = await AuthenticatedRawAsync("reader");
        var read = new byte[MessageFrames.ReadLength(8)];
        MessageFrames.WriteRead(read, 3, "claimant"u8, 999_999); // alice never sent reader anything
        await raw.WriteRecordAsync(read);
        Assert.True(MessageFrames.TryParseU64(await raw.ReadUntilAsync(FrameType.ServerAck), out ulong ack) && ack == 3);
        await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == FastChat.Client.ReceiptKind.Read && r.Peer == "reader" && r.MessageId == 999_999));
    }

    [Fact]
    public async Task Message_1_at_its_limit_is_answered_and_one_byte_more_closes()
    {
        foreach (var (length, answered) in new[] { (ProtocolLimits.MaxHandshakeMessage1, true), (ProtocolLimits.MaxHandshakeMessage1 + 1, false) })
        {
            await using var raw = await RawConnection.OpenAsync(_server.Port);
            await raw.ExchangePreambleAsync();
            var message = new byte[length];
            var ephemeral = TestClient.NewKey();
            Sodium.X25519PublicKey(ephemeral, message.AsSpan(0, 32));
            await raw.WriteRawMessageAsync(message);
            if (answered) Assert.InRange((await raw.ReadRawMessageAsync()).Length, 96 + 1, ProtocolLimits.MaxHandshakeMessage2); // message 2
            else Assert.True(await raw.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        }
    }
}
