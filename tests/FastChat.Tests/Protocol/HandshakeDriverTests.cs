using System.Buffers;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Wire;

namespace FastChat.Tests.Protocol;

/// <summary>The I/O-free connection start, both roles, in memory: success, pinning, refusals and the per-message limits.</summary>
public class HandshakeDriverTests
{
    private static byte[] Key()
    {
        var key = new byte[32];
        Sodium.RandomBytes(key);
        return key;
    }

    private static byte[] PublicOf(byte[] key)
    {
        var pub = new byte[32];
        Sodium.X25519PublicKey(key, pub);
        return pub;
    }

    /// <summary>The client's preamble and message 1 into the server; returns what the server answered.</summary>
    private static ArrayBufferWriter<byte> FirstFlight(HandshakeDriver client, HandshakeDriver server)
    {
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);
        Feed(server, toServer.WrittenSpan.ToArray(), toClient);
        return toClient;
    }

    private static HandshakeProgress Feed(HandshakeDriver driver, byte[] bytes, ArrayBufferWriter<byte> output)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        return driver.Advance(ref input, output);
    }

    [Fact]
    public void Both_ends_complete_and_their_transports_talk()
    {
        var serverKey = Key();
        using var client = HandshakeDriver.CreateInitiator(Key(), "client hello"u8.ToArray(), expectedPeerKey: PublicOf(serverKey));
        using var server = HandshakeDriver.CreateResponder(serverKey, PublicOf(serverKey), "server hello"u8.ToArray());
        var (c, s) = HandshakeDriver.RunInMemory(client, server);
        Assert.Equal("server hello"u8.ToArray(), client.PeerPayload);
        Assert.Equal("client hello"u8.ToArray(), server.PeerPayload);
        Assert.Equal(client.HandshakeHash.ToArray(), server.HandshakeHash.ToArray());

        var sealedRecord = new byte[64];
        int n = RecordWriter.SealOne(c, "hi"u8, sealedRecord);
        var plain = new byte[64];
        Assert.Equal(2, s.Decrypt(sealedRecord.AsSpan(2, n - 2), plain));
        Assert.Equal("hi"u8.ToArray(), plain[..2]);
    }

    [Fact]
    public void Bytes_can_arrive_one_at_a_time()
    {
        using var client = HandshakeDriver.CreateInitiator(Key(), [1, 2, 3]);
        using var server = HandshakeDriver.CreateResponder(Key(), default, [4, 5]);
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);
        Assert.Equal(HandshakeProgress.NeedMoreData, Trickle(server, toServer.WrittenSpan.ToArray(), toClient));
        toServer.Clear();
        Assert.Equal(HandshakeProgress.Completed, Trickle(client, toClient.WrittenSpan.ToArray(), toServer));
        Assert.Equal(HandshakeProgress.Completed, Trickle(server, toServer.WrittenSpan.ToArray(), new ArrayBufferWriter<byte>()));
        Assert.Equal([4, 5], client.PeerPayload);
        Assert.Equal([1, 2, 3], server.PeerPayload);
    }

    /// <summary>Delivers <paramref name="bytes"/> one more byte per call, as a pipe would: the unconsumed rest is offered again.</summary>
    private static HandshakeProgress Trickle(HandshakeDriver driver, byte[] bytes, ArrayBufferWriter<byte> output)
    {
        int consumed = 0;
        var progress = HandshakeProgress.NeedMoreData;
        for (int arrived = 1; arrived <= bytes.Length; arrived++)
        {
            var input = new ReadOnlySequence<byte>(bytes, consumed, arrived - consumed);
            progress = driver.Advance(ref input, output);
            consumed = arrived - (int)input.Length;
            if (progress != HandshakeProgress.NeedMoreData) Assert.Equal(bytes.Length, arrived); // nothing decided before the last byte
        }
        Assert.Equal(bytes.Length, consumed);
        return progress;
    }

    [Fact]
    public void Records_right_behind_message_3_stay_in_the_input()
    {
        using var client = HandshakeDriver.CreateInitiator(Key(), []);
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        var toClient = FirstFlight(client, server);
        var toServer = new ArrayBufferWriter<byte>();
        Feed(client, toClient.WrittenSpan.ToArray(), toServer);
        var input = new ReadOnlySequence<byte>([.. toServer.WrittenSpan, 9, 9, 9]);
        Assert.Equal(HandshakeProgress.Completed, server.Advance(ref input, new ArrayBufferWriter<byte>()));
        Assert.Equal(new byte[] { 9, 9, 9 }, input.ToArray());
    }

    [Fact]
    public void A_pinned_key_that_differs_fails_before_message_3()
    {
        using var client = HandshakeDriver.CreateInitiator(Key(), [], expectedPeerKey: PublicOf(Key()));
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        var toClient = FirstFlight(client, server);
        var toServer = new ArrayBufferWriter<byte>();
        Assert.Equal(HandshakeProgress.Failed, Feed(client, toClient.WrittenSpan.ToArray(), toServer));
        Assert.Equal(HandshakeFailure.PeerKeyMismatch, client.Failure);
        Assert.Equal(0, toServer.WrittenCount); // message 3 (with the client's identity) never sent
    }

    [Fact]
    public void A_busy_responder_refuses_at_the_preamble_with_status_3()
    {
        using var client = HandshakeDriver.CreateInitiator(Key(), []);
        using var server = HandshakeDriver.CreateResponder(Key(), default, [], busy: () => true);
        var toClient = FirstFlight(client, server);
        Assert.Equal(HandshakeProgress.Failed, server.InputEnded());
        Assert.Equal(HandshakeFailure.ServerBusy, server.Failure);
        Assert.Equal(Preamble.Length, toClient.WrittenCount);
        Assert.Equal(PreambleStatus.ServerBusy, Preamble.ReadServer(toClient.WrittenSpan, out byte version));
        Assert.Equal(Preamble.MaxSupportedVersion, version);
        Assert.Equal(HandshakeProgress.Failed, Feed(client, toClient.WrittenSpan.ToArray(), new ArrayBufferWriter<byte>()));
        Assert.Equal(HandshakeFailure.ServerBusy, client.Failure);
    }

    [Theory]
    [InlineData(0, ProtocolLimits.MaxHandshakeMessage1, true)]
    [InlineData(0, ProtocolLimits.MaxHandshakeMessage1 + 1, false)]
    [InlineData(2, ProtocolLimits.MaxHandshakeMessage3 + 1, false)]
    public void The_responder_enforces_each_messages_limit(int index, int length, bool accepted)
    {
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        var output = new ArrayBufferWriter<byte>();
        var preamble = new byte[Preamble.Length];
        Preamble.WriteClient(preamble);
        Assert.Equal(HandshakeProgress.NeedMoreData, Feed(server, preamble, output));
        var message = new byte[RecordFraming.LengthPrefix + length];
        RecordFraming.WriteLength(message, length);
        if (index == 0)
        {
            Sodium.X25519PublicKey(Key(), message.AsSpan(2, 32)); // a valid e, then a plaintext payload
            Assert.Equal(accepted ? HandshakeProgress.NeedMoreData : HandshakeProgress.Failed, Feed(server, message, output));
        }
        else
        {
            // A real message 1 first, then an oversized message 3.
            using var client = HandshakeDriver.CreateInitiator(Key(), []);
            var start = new ArrayBufferWriter<byte>();
            client.Start(start);
            Assert.Equal(HandshakeProgress.NeedMoreData, Feed(server, start.WrittenSpan[Preamble.Length..].ToArray(), output));
            Assert.Equal(HandshakeProgress.Failed, Feed(server, message[..2], output)); // fails on the length prefix alone
        }
        if (!accepted) Assert.Equal(HandshakeFailure.BadMessageLength, server.Failure);
    }

    [Fact]
    public void A_zero_length_handshake_message_fails()
    {
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        var preamble = new byte[Preamble.Length];
        Preamble.WriteClient(preamble);
        Assert.Equal(HandshakeProgress.Failed, Feed(server, [.. preamble, 0, 0], new ArrayBufferWriter<byte>()));
        Assert.Equal(HandshakeFailure.BadMessageLength, server.Failure);
    }

    [Fact]
    public void Input_that_ends_early_is_a_closed_failure()
    {
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        Assert.Equal(HandshakeProgress.NeedMoreData, Feed(server, [0x46, 0x43], new ArrayBufferWriter<byte>()));
        Assert.Equal(HandshakeProgress.Failed, server.InputEnded());
        Assert.Equal(HandshakeFailure.Closed, server.Failure);
    }

    [Fact]
    public void Record_writer_bound_holds_for_frames_just_over_half_a_record()
    {
        // Two such frames never share a record: the worst case for the number of records.
        int body = ProtocolLimits.MaxRecordPlaintext / 2 - ProtocolLimits.FrameHeaderLength + 1;
        var frames = new byte[8 * (ProtocolLimits.FrameHeaderLength + body)];
        for (int i = 0; i < 8; i++) FastChat.Protocol.Frames.FrameHeader.Write(frames.AsSpan(i * (ProtocolLimits.FrameHeaderLength + body)), FrameType.Send, body);
        using var client = HandshakeDriver.CreateInitiator(Key(), []);
        using var server = HandshakeDriver.CreateResponder(Key(), default, []);
        var (c, _) = HandshakeDriver.RunInMemory(client, server);
        var output = new byte[RecordWriter.MaxSealedLength(frames.Length)];
        Assert.Equal(frames.Length + 8 * RecordWriter.RecordOverhead, RecordWriter.Seal(c, frames, output));
    }
}
